// Sign/verify throughput per algorithm, in process, over the built modules (dist/), with a
// 3 KB message (about a targets.json of a small repository). Verification reuses the cached
// KeyObject, as the update walk does.
import { randomBytes } from 'node:crypto';
import { generateKey, publicBytes } from '../dist/crypto/keygen.js';
import { publicKeyObject, signData, verifyData } from '../dist/crypto/sign.js';

function opsPerSecond(fn, minMs = 1000) {
  for (let i = 0; i < 50; i++) fn(); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (n * 1000) / elapsed;
}

export async function run(report) {
  const msg = randomBytes(3028);
  const lines = ['| algorithm | method | sign ops/s | verify ops/s |', '|---|---|---|---|'];
  for (const [alg, keyType] of [
    ['ecdsa', 'ecdsa'],
    ['rsa', 'rsa'],
    ['ed25519', 'ed25519'],
  ]) {
    const key = generateKey(alg);
    const { method, sig } = signData(key, msg);
    const pub = publicKeyObject(alg, publicBytes(key));
    if (!verifyData(pub, keyType, method, sig, msg)) throw new Error(`${alg}: own signature does not verify`);
    const signRate = opsPerSecond(() => signData(key, msg));
    const verifyRate = opsPerSecond(() => verifyData(pub, keyType, method, sig, msg));
    lines.push(
      `| ${alg}${alg === 'rsa' ? ' 2048' : ''} | ${method} | ${signRate.toFixed(0)} | ${verifyRate.toFixed(0)} |`,
    );
  }
  report('sign / verify throughput (node:crypto, 3 KB message)', lines);
}
