// The browser side of the Chime SDK PSTN Audio shape: joins a Chime meeting's audio with the
// official amazon-chime-sdk-js and reports what happens as a few plain events. Bundled by
// scripts/chime-bundle.sh into public/chime/chime-sdk-<version>.js and loaded only when a call
// goes through Chime (app/src/phone/chime.rs). No signalling of our own: the SDK does it all.
import {
  ConsoleLogger,
  DefaultDeviceController,
  DefaultMeetingSession,
  LogLevel,
  MeetingSessionConfiguration,
  MeetingSessionStatusCode as Status,
} from "amazon-chime-sdk-js";

// The SDK retries a failed signalling connection for 120 s by default: far longer than anyone
// waits for a call to connect.
const RECONNECT_TIMEOUT_MS = 10_000;
// How long leave() waits for the SDK to confirm it stopped.
const LEAVE_WAIT_MS = 3_000;

// Why a session ended, in our words, from the SDK's status code. `started` says whether audio
// had connected: a failure before that is "failed_to_connect", after it "connection_lost".
export function endReason(code, started) {
  switch (code) {
    case Status.Left:
      return "left";
    case Status.MeetingEnded:
      return "meeting_ended";
    case Status.AudioAttendeeRemoved:
    case Status.AudioDisconnectAudio:
      return "removed";
    case Status.AudioJoinedFromAnotherDevice:
      return "joined_elsewhere";
    case Status.AudioAuthenticationRejected:
    case Status.TURNCredentialsForbidden:
      return "rejected";
    case Status.AudioCallAtCapacity:
      return "meeting_full";
    default:
      return started ? "connection_lost" : "failed_to_connect";
  }
}

function parse(json) {
  return typeof json === "string" ? JSON.parse(json) : json;
}

/**
 * Joins the meeting's audio.
 * @param meetingJson the CreateMeeting response (`{Meeting: …}`), as JSON text or an object
 * @param attendeeJson the CreateAttendee response (`{Attendee: …}`), likewise
 * @param audioElement the <audio> element that plays the meeting
 * @param options `input`: a MediaStream the caller already opened, or a device id (default: the
 *   browser's default microphone); `onEvent(event)`: called with each event below;
 *   `reconnectTimeoutMs`; `logLevel` ("debug", "info", "warn", "error", "off"; default "warn")
 * Events: `{type: "connecting", reconnecting}`, `{type: "connected"}`, `{type: "poor_connection"}`,
 * `{type: "good_connection"}`, `{type: "muted", muted}`, and once, last,
 * `{type: "ended", reason, status, statusName}` with reason one of left, meeting_ended, removed,
 * joined_elsewhere, rejected, meeting_full, failed_to_connect, connection_lost.
 * Resolves once the SDK has started connecting; rejects when the meeting JSON or the input is
 * unusable.
 */
export async function join(meetingJson, attendeeJson, audioElement, options = {}) {
  const onEvent = typeof options.onEvent === "function" ? options.onEvent : () => {};
  const logger = new ConsoleLogger("chime", LogLevel[String(options.logLevel ?? "warn").toUpperCase()] ?? LogLevel.WARN);
  const configuration = new MeetingSessionConfiguration(parse(meetingJson), parse(attendeeJson));
  configuration.reconnectTimeoutMs = options.reconnectTimeoutMs ?? RECONNECT_TIMEOUT_MS;
  const devices = new DefaultDeviceController(logger);
  const session = new DefaultMeetingSession(configuration, logger, devices);
  const av = session.audioVideo;

  let emit = onEvent;
  let started = false;
  let ended = false;
  let stopped = null;
  const stoppedPromise = new Promise((resolve) => (stopped = resolve));
  av.addObserver({
    audioVideoDidStartConnecting(reconnecting) {
      emit({ type: "connecting", reconnecting });
    },
    audioVideoDidStart() {
      started = true;
      emit({ type: "connected" });
    },
    // Any stop ends the session (the SDK does not restart it): report it once.
    audioVideoDidStop(status) {
      if (!ended) {
        ended = true;
        const code = status.statusCode();
        emit({ type: "ended", reason: endReason(code, started), status: code, statusName: Status[code] ?? String(code) });
      }
      stopped();
    },
    connectionDidBecomePoor() {
      emit({ type: "poor_connection" });
    },
    connectionDidBecomeGood() {
      emit({ type: "good_connection" });
    },
  });
  av.realtimeSubscribeToMuteAndUnmuteLocalAudio((muted) => emit({ type: "muted", muted }));

  await av.startAudioInput(options.input ?? null);
  await av.bindAudioElement(audioElement);
  av.start();

  return {
    /** Mutes (true) or unmutes (false) what the meeting hears; false when unmuting is refused. */
    mute(muted) {
      if (muted) {
        av.realtimeMuteLocalAudio();
        return true;
      }
      return av.realtimeUnmuteLocalAudio();
    },
    /** The meeting hears this MediaStream from now on (a microphone reopened after it was lost). */
    async setInput(stream) {
      await av.startAudioInput(stream);
    },
    /** Plays the meeting on this output device (needs setSinkId). */
    async setOutput(deviceId) {
      await av.chooseAudioOutput(deviceId);
    },
    /**
     * Leaves the meeting; resolves once the SDK has stopped (its "ended" event sent) or after a
     * short wait. `quiet` drops the remaining events (the caller is going away). Idempotent.
     */
    async leave(quiet = false) {
      if (quiet) emit = () => {};
      if (!ended) {
        av.stop();
        await Promise.race([stoppedPromise, new Promise((resolve) => setTimeout(resolve, LEAVE_WAIT_MS))]);
      }
      // The SDK stops the input's tracks, the caller's MediaStream included.
      await av.stopAudioInput();
      av.unbindAudioElement();
    },
  };
}
