import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// One fresh data directory and one server log per run; workers inherit these from the main
// process, which evaluates this file first.
process.env.E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "softphone-e2e-"));
process.env.E2E_SERVER_LOG ??= path.join(process.env.E2E_DATA_DIR, "server.log");
const port = Number(process.env.E2E_PORT ?? 3100);
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/softphone/target");
const root = path.resolve(__dirname, "..");

// The fake microphone: a steady 440 Hz tone (16-bit mono WAV, 48 kHz, 2 s, looped by Chromium).
function toneWav(file: string, hz = 440, rate = 48_000, seconds = 2): string {
  const samples = rate * seconds;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 0.3 * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  fs.writeFileSync(file, Buffer.concat([header, data]));
  return file;
}
const fakeMic = toneWav(path.join(process.env.E2E_DATA_DIR, "tone-440.wav"));

export default defineConfig({
  testDir: "./tests",
  // Per test, generous: on two cores the suite shares them with three servers and two browsers.
  timeout: 60_000,
  // A page's code and data on two cores shared with three servers and another browser: a
  // screen may take more than the usual few seconds to appear (waits, not what is checked).
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    locale: "en-US",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
        // A microphone that plays the tone, permission granted, media kept on 127.0.0.1.
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-audio-capture=${fakeMic}`,
        "--allow-loopback-in-peer-connection",
      ],
    },
  },
  // The real server binary built by `cargo leptos build`, on a fresh data directory; started
  // before the tests and stopped after them. A second one (port + 2) carries calls in the Chime
  // shape, through the local Chime stand-in it starts in process (tests/chime-calls.spec.ts).
  // A fourth (port + 3) calls through the PSTN simulator behind a lossy network
  // (tests/call-quality-network.spec.ts; `cargo build -p testkit --bin impaired-pstn` first).
  // With moto running (scripts/test.sh starts it and makes the bucket, table and user pool), a
  // third runs on the AWS back ends instead: recordings in S3, data in DynamoDB, accounts in
  // Cognito (all moto's).
  webServer: [
    server(0, "", ""),
    server(2, "chime", ".chime", {
      SOFTPHONE_MEDIA_PORTS: "43000-43999",
      SOFTPHONE_TELEPHONY: "chime-standin",
    }),
    {
      // The PSTN simulator behind a lossy network whose loss and jitter a test sets during a
      // call (testkit/src/bin/impaired-pstn.rs; control on port + 4, SIP on port + 5), and a
      // fourth server that uses it as its SIP trunk and announces the relay's address for its
      // media: both legs of its calls cross the relay (tests/call-quality-network.spec.ts).
      command: `exec "${targetDir}/debug/impaired-pstn" --sip 127.0.0.1:${port + 5} --server-ports 44000-44019 --control 127.0.0.1:${port + 4} >> "${process.env.E2E_SERVER_LOG}.impaired-pstn" 2>&1`,
      cwd: root,
      url: `http://127.0.0.1:${port + 4}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    server(3, "impaired", ".impaired", {
      SOFTPHONE_MEDIA_PORTS: "44000-44019",
      SOFTPHONE_MEDIA_PUBLIC_IP: "127.0.0.2",
      SOFTPHONE_TRUNK: `127.0.0.1:${port + 5}`,
      SOFTPHONE_TRUNK_TRANSPORT: "udp",
      SOFTPHONE_TRUNK_USERNAME: "softphone",
      SOFTPHONE_TRUNK_PASSWORD: "trunk-secret",
    }),
    ...(process.env.SOFTPHONE_TEST_MOTO ? [server(1, "aws", ".aws", {
      SOFTPHONE_MEDIA_PORTS: "41000-41999",
      SOFTPHONE_RECORDINGS: "s3",
      SOFTPHONE_RECORDINGS_BUCKET: "softphone-e2e",
      SOFTPHONE_RECORDINGS_PREFIX: "e2e/",
      SOFTPHONE_S3_FORCE_PATH_STYLE: "true",
      SOFTPHONE_STORE: "dynamodb",
      SOFTPHONE_DYNAMODB_TABLE: process.env.SOFTPHONE_E2E_TABLE ?? "",
      SOFTPHONE_IDENTITY: "cognito",
      SOFTPHONE_COGNITO_USER_POOL_ID: process.env.SOFTPHONE_E2E_POOL_ID ?? "",
      SOFTPHONE_COGNITO_CLIENT_ID: process.env.SOFTPHONE_E2E_CLIENT_ID ?? "",
      SOFTPHONE_COGNITO_JWKS_URL: `${process.env.SOFTPHONE_TEST_MOTO}/${process.env.SOFTPHONE_E2E_POOL_ID}/.well-known/jwks.json`,
      AWS_ENDPOINT_URL: process.env.SOFTPHONE_TEST_MOTO,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
    })] : []),
  ],
});

/** The server binary on `port + offset`, its data in `dataSubdir` of the run's folder and its
 *  log in the run's log file with `logSuffix`; `env` on top of what every one of them has. */
function server(offset: number, dataSubdir: string, logSuffix: string, env: Record<string, string | undefined> = {}) {
  return {
    command: `exec "${targetDir}/debug/server" >> "${process.env.E2E_SERVER_LOG}${logSuffix}" 2>&1`,
    cwd: root,
    url: `http://127.0.0.1:${port + offset}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port + offset}`,
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_SITE_PKG_DIR: "pkg",
      LEPTOS_OUTPUT_NAME: "softphone",
      SOFTPHONE_DATA_DIR: path.join(process.env.E2E_DATA_DIR!, dataSubdir),
      SOFTPHONE_LOG_FORMAT: "json",
      // Every test signs up its own users from 127.0.0.1: the sign-up limits stand for many
      // clients here (their own test is in server/tests).
      SOFTPHONE_SIGNUP_LIMIT_PER_ADDRESS: "1000000",
      SOFTPHONE_SIGNUP_LIMIT_GLOBAL: "1000000",
      RUST_LOG: "info",
      ...env,
    } as Record<string, string>,
  };
}
