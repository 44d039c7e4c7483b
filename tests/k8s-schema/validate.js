#!/usr/bin/env node
// Validates Kubernetes manifests offline against the Kubernetes API schemas bundled in the
// kubernetes-models package (version pinned in package.json; its schemas are Kubernetes 1.33's).
//   node tests/k8s-schema/validate.js FILE...
// Every document must be an object of a kind those schemas know (an unknown apiVersion or kind
// is an error, not skipped). Each error is printed as "FILE:LINE: KIND/NAME: PATH: MESSAGE",
// LINE being where the document starts; exit status 1 on any error, 2 on a usage error.
'use strict';

const fs = require('fs');
const YAML = require('yaml');

// "v1" -> kubernetes-models/v1, "apps/v1" -> kubernetes-models/apps/v1; null if unknown.
function modelClass(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || !/^([a-z0-9.-]+\/)?v[0-9]+[a-z0-9]*$/.test(apiVersion)) return null;
  let group;
  try {
    group = require('kubernetes-models/' + apiVersion);
  } catch (e) {
    if (e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || e.code === 'MODULE_NOT_FOUND') return null;
    throw e;
  }
  const cls = Object.prototype.hasOwnProperty.call(group, kind) ? group[kind] : null;
  return cls && cls.apiVersion === apiVersion && cls.kind === kind ? cls : null;
}

// The schemas, like the API's own OpenAPI v2 spec, do not forbid unknown fields, yet the API
// server rejects them (kubectl's default --validate=strict). The compiled validators look up
// every field their schema names, so a proxy records which names were asked for in each
// object; a field of an object the validator looked into but never asked about is unknown (a
// misspelling, or a field of a newer Kubernetes). Objects it never looked into (free-form
// ones) are not judged.
function track(value, pointer, objects) {
  if (value === null || typeof value !== 'object') return value;
  const asked = new Set();
  const children = new Map();
  if (!Array.isArray(value)) objects.push({ value, pointer, asked });
  return new Proxy(value, {
    get(target, key) {
      const v = Reflect.get(target, key);
      if (typeof key !== 'string') return v;
      asked.add(key);
      if (!Object.prototype.hasOwnProperty.call(target, key)) return v;
      if (!children.has(key)) children.set(key, track(v, pointer + '/' + escapePointer(key), objects));
      return children.get(key);
    },
  });
}

function escapePointer(key) {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

// JSON pointer "/spec/containers/0/image" -> "spec.containers[0].image".
function fieldPath(pointer) {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path = parts.reduce((s, p) => (/^[0-9]+$/.test(p) ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
  return path || '(document)';
}

function ajvMessage(err) {
  const allowed = err.params && err.params.allowedValues;
  return allowed ? `${err.message}: ${allowed.join(', ')}` : err.message;
}

// Returns [{pointer, message}] for one parsed document.
function validateDocument(doc) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return [{ pointer: '', message: 'not a mapping' }];
  }
  const cls = modelClass(doc.apiVersion, doc.kind);
  if (!cls) {
    return [{ pointer: '', message: `unknown kind ${doc.kind} in apiVersion ${doc.apiVersion}` }];
  }
  const model = new cls(doc);
  const objects = [];
  const errors = [];
  try {
    model.validate.call(track(model, '', objects));
  } catch (e) {
    if (!Array.isArray(e.errors)) throw e;
    for (const err of e.errors) errors.push({ pointer: err.instancePath, message: ajvMessage(err) });
  }
  for (const { value, pointer, asked } of objects) {
    if (asked.size === 0) continue;
    for (const key of Object.keys(value)) {
      if (!asked.has(key)) errors.push({ pointer: pointer + '/' + escapePointer(key), message: 'unknown field' });
    }
  }
  return errors;
}

function validateFile(file) {
  const lines = new YAML.LineCounter();
  // YAML 1.1, as Kubernetes reads manifests: 0400 is octal, yes/no are booleans.
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { version: '1.1', lineCounter: lines });
  let failures = 0;
  let count = 0;
  for (const doc of docs) {
    const line = doc.contents ? lines.linePos(doc.contents.range[0]).line : lines.linePos(doc.range[0]).line;
    if (doc.errors.length) {
      for (const e of doc.errors) console.log(`${file}:${line}: ${e.message}`);
      failures += doc.errors.length;
      continue;
    }
    const value = doc.toJS();
    if (value === null) continue;  // an empty document (only comments)
    count++;
    const name = value && value.metadata && value.metadata.name;
    const label = `${(value && value.kind) || '?'}/${name || '?'}`;
    for (const { pointer, message } of validateDocument(value)) {
      console.log(`${file}:${line}: ${label}: ${fieldPath(pointer)}: ${message}`);
      failures++;
    }
  }
  if (!failures) console.log(`${file}: ${count} documents valid`);
  return failures;
}

function main(files) {
  if (!files.length) {
    console.error('usage: validate.js FILE...');
    return 2;
  }
  let failures = 0;
  for (const file of files) failures += validateFile(file);
  return failures ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
