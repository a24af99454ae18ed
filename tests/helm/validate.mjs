// Validates the Kubernetes objects of a `helm template` output (multi-document YAML)
// against the OpenAPI schemas of the npm package kubernetes-models, and the
// monitoring.coreos.com kinds (ServiceMonitor, PrometheusRule) against
// @kubernetes-models/prometheus-operator.
//
// Usage: node validate.mjs --deps DIR [--json-out FILE] [MANIFEST.yaml | -]
//   --deps      folder whose node_modules holds the packages (tools/helm/fetch-node-deps.sh
//               prints it); ES modules ignore NODE_PATH, so the packages are loaded from there.
//   --json-out  also writes the parsed objects as one JSON array (the Python test reads it,
//               so it needs no YAML library).
// Exit status 0 when every object is valid; 1 with one line per problem otherwise; 2 on
// usage errors.
//
// What is checked: YAML syntax; apiVersion, kind and metadata.name present; no two objects
// with the same kind, namespace and name; every object known to the packages and valid
// against its schema (types, required fields, enums, formats). Not checked: unknown fields
// (the generated schemas accept them, as a lenient API server would) and anything needing a
// cluster (admission, CRDs being installed, quotas).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function usage(message) {
  process.stderr.write(`validate.mjs: ${message}\n` +
      'usage: node validate.mjs --deps DIR [--json-out FILE] [MANIFEST.yaml | -]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { deps: process.env.COHORT_HELM_NODE_DEPS || '', jsonOut: '', input: '-' };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--deps' || a === '--json-out') {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      args[a === '--deps' ? 'deps' : 'jsonOut'] = argv[++i];
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else {
      args.input = a;
    }
  }
  if (!args.deps) usage('--deps is required');
  return args;
}

// Module that holds the classes of an apiVersion, e.g. "apps/v1" -> kubernetes-models/apps/v1,
// "v1" -> kubernetes-models/v1, "monitoring.coreos.com/v1" -> the prometheus-operator package.
function moduleFor(apiVersion) {
  if (apiVersion.startsWith('monitoring.coreos.com/')) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  }
  return `kubernetes-models/${apiVersion}`;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const require = createRequire(path.join(path.resolve(args.deps), 'package.json'));
  const YAML = require('yaml');
  const text = readFileSync(args.input === '-' ? 0 : args.input, 'utf8');

  const problems = [];
  const objects = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    for (const e of doc.errors) problems.push(`YAML: ${e.message}`);
    if (doc.errors.length > 0) continue;
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;  // empty document (e.g. a disabled template)
    objects.push(obj);
  }

  const seen = new Set();
  const skipped = new Map();  // apiVersion -> why
  const counts = new Map();
  for (const obj of objects) {
    const where = `${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'}`;
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
      problems.push(`${where}: apiVersion and kind are required`);
      continue;
    }
    if (!obj.metadata || typeof obj.metadata.name !== 'string' || obj.metadata.name === '') {
      problems.push(`${where}: metadata.name is required`);
      continue;
    }
    const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    if (seen.has(key)) problems.push(`${where}: defined twice`);
    seen.add(key);

    let mod;
    try {
      mod = require(moduleFor(obj.apiVersion));
    } catch (e) {
      if (obj.apiVersion.startsWith('monitoring.coreos.com/')) {
        skipped.set(obj.apiVersion, '@kubernetes-models/prometheus-operator is not installed');
        continue;
      }
      problems.push(`${where}: unknown apiVersion ${obj.apiVersion}`);
      continue;
    }
    const Kind = mod[obj.kind];
    if (typeof Kind !== 'function') {
      problems.push(`${where}: ${obj.apiVersion} has no kind ${obj.kind}`);
      continue;
    }
    try {
      new Kind(obj).validate();
      counts.set(obj.kind, (counts.get(obj.kind) ?? 0) + 1);
    } catch (e) {
      const details = Array.isArray(e.errors)
        ? e.errors.map((x) => `${x.instancePath || '/'} ${x.message}`).join('; ')
        : e.message;
      problems.push(`${where}: ${details}`);
    }
  }

  if (args.jsonOut) writeFileSync(args.jsonOut, JSON.stringify(objects, null, 1));
  for (const [apiVersion, why] of skipped) {
    process.stderr.write(`validate.mjs: skipped ${apiVersion} objects: ${why}\n`);
  }
  if (problems.length > 0) {
    for (const p of problems) process.stdout.write(`INVALID ${p}\n`);
    process.exit(1);
  }
  const summary = [...counts].sort().map(([k, n]) => `${k}=${n}`).join(' ');
  process.stdout.write(`valid: ${objects.length} objects (${summary})\n`);
}

main();
