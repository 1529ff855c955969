#!/usr/bin/env node
process.stdout.write('nodemesh-apiserver: not built yet\n');
