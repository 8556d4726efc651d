#!/usr/bin/env node
require('../assets/runtime/cli/main/index.js');
