/**
 * One UpdateItem (alone, or as one action of a TransactWriteItems) built
 * from SET, REMOVE and ADD clauses and conditions. DynamoDB allows one
 * action per item in a transaction, so a transaction collects every change
 * of an item into one of these; a later SET or REMOVE of an attribute
 * replaces an earlier one. Attribute names are always written as `#name`
 * (`status`, `key`, `version` are reserved words).
 */
import type { AttributeValue, Update } from '@aws-sdk/client-dynamodb';
import { Item } from './items';

export class ItemUpdate {
  private readonly sets = new Map<string, AttributeValue>();
  private readonly removes = new Set<string>();
  private readonly adds = new Map<string, AttributeValue>();
  private readonly conditions: string[] = [];
  private readonly conditionValues: Record<string, AttributeValue> = {};

  constructor(public readonly key: Item) {}

  set(name: string, value: AttributeValue): this {
    this.removes.delete(name);
    this.sets.set(name, value);
    return this;
  }

  /** SET when `value` is defined, else REMOVE. */
  setOrRemove(name: string, value: AttributeValue | undefined): this {
    return value === undefined ? this.remove(name) : this.set(name, value);
  }

  remove(...names: string[]): this {
    for (const name of names) {
      this.sets.delete(name);
      this.removes.add(name);
    }
    return this;
  }

  add(name: string, value: AttributeValue): this {
    this.adds.set(name, value);
    return this;
  }

  /** `expression` names attributes as `#name` and values as `:name` (given in `values`). */
  condition(expression: string, values: Record<string, AttributeValue> = {}): this {
    if (!this.conditions.includes(expression)) this.conditions.push(expression);
    Object.assign(this.conditionValues, values);
    return this;
  }

  get empty(): boolean {
    return this.sets.size + this.removes.size + this.adds.size === 0;
  }

  build(table: string): Update {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ...this.conditionValues };
    const name = (attr: string) => {
      names[`#${attr}`] = attr;
      return `#${attr}`;
    };
    let i = 0;
    const value = (v: AttributeValue) => {
      const placeholder = `:u${i++}`;
      values[placeholder] = v;
      return placeholder;
    };
    const clauses: string[] = [];
    if (this.sets.size) clauses.push(`SET ${[...this.sets].map(([a, v]) => `${name(a)} = ${value(v)}`).join(', ')}`);
    if (this.removes.size) clauses.push(`REMOVE ${[...this.removes].map(name).join(', ')}`);
    if (this.adds.size) clauses.push(`ADD ${[...this.adds].map(([a, v]) => `${name(a)} ${value(v)}`).join(', ')}`);
    const condition = this.conditions.map((c) => `(${c})`).join(' AND ');
    for (const m of condition.matchAll(/#(\w+)/g)) names[m[0]] = m[1];
    return {
      TableName: table,
      Key: this.key,
      UpdateExpression: clauses.join(' '),
      ...(condition ? { ConditionExpression: condition } : {}),
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    };
  }
}
