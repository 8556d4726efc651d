"""The seed's CSV -> Kafka producer (seed 004), for the Kafka bench only.

As the seed's design describes it: kafka-python's KafkaProducer with
acks='all', retries=2147483647, max_in_flight_requests_per_connection=1,
enable_idempotence=True and compression_type='gzip'; the CSV read row by row
(csv.DictReader), each row sent as JSON to partition 0 and its confirmation
awaited, and every 10,000 rows a flush and a checkpoint (the seed writes it
to DynamoDB; here to a local file, fsync'd, which costs less). Prints one
JSON line: {"rows": N, "seconds": S, "max_rss_mb": M}.

usage: python3 seed_producer.py BOOTSTRAP TOPIC FILE.csv
"""
import csv
import json
import os
import resource
import sys
import time

from kafka import KafkaProducer


def main() -> None:
    bootstrap, topic, path = sys.argv[1:4]
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks='all',
        retries=2147483647,
        max_in_flight_requests_per_connection=1,
        enable_idempotence=True,
        compression_type='gzip',
        value_serializer=lambda v: json.dumps(v).encode('utf-8'),
    )
    checkpoint = path + '.seed-checkpoint.json'
    started = time.monotonic()
    rows = 0
    with open(path, newline='', encoding='utf-8') as f:
        for row in csv.DictReader(f):
            producer.send(topic, value=row, partition=0).get(timeout=60)
            rows += 1
            if rows % 10000 == 0:
                producer.flush()
                with open(checkpoint, 'w') as c:
                    json.dump({'last_line': rows}, c)
                    c.flush()
                    os.fsync(c.fileno())
    producer.flush()
    producer.close()
    seconds = time.monotonic() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'rows': rows, 'seconds': seconds, 'max_rss_mb': rss_mb}))


if __name__ == '__main__':
    main()
