import { describe, expect, it } from "vitest";
import { MESSAGE_SCHEMAS, MESSAGE_TYPES } from "../../src/protocol/messages.js";
import { decodeMessage, describeCodecError, encodeMessage, validateMessage, type CodecError } from "../../src/real/codec.js";
import { SAMPLE_MESSAGES } from "./fixtures.js";

describe("codec: JSON messages", () => {
  it("codec: the schema table covers exactly MESSAGE_TYPES, each under its own type", () => {
    expect(Object.keys(MESSAGE_SCHEMAS)).toEqual([...MESSAGE_TYPES]);
    for (const type of MESSAGE_TYPES) expect(MESSAGE_SCHEMAS[type].properties["type"]).toMatchObject({ const: type });
  });

  for (const type of MESSAGE_TYPES) {
    it(`codec: ${type} round-trips`, () => {
      const message = SAMPLE_MESSAGES[type];
      const decoded = decodeMessage(encodeMessage(message));
      expect(decoded).toEqual({ ok: true, message });
    });
  }

  it("codec: optional fields may be absent, but not null (the type the reducers see has no null)", () => {
    expect(validateMessage({ type: "ExecutorUpdated", execId: 1, state: "RUNNING" }).ok).toBe(true);
    const withNull = validateMessage({
      type: "SubmitDriverResponse",
      masterAddress: "flint://m:1",
      success: false,
      driverId: null,
      message: "no",
    });
    expect(withNull.ok).toBe(false);
    if (!withNull.ok) expect(describeCodecError(withNull.error)).toBe("SubmitDriverResponse.driverId: expected a string, got null");
  });

  it("codec: unknown extra fields are refused, naming the field and the fields there are", () => {
    const top = validateMessage({ type: "StopExecutor", addedLater: 1 });
    expect(top).toEqual({ ok: false, error: { kind: "unknown-field", type: "StopExecutor", field: "addedLater", known: ["type"] } });
    if (!top.ok) expect(describeCodecError(top.error)).toBe("StopExecutor.addedLater: unknown field (the fields are type)");
    const nested = validateMessage({ type: "LaunchTask", task: { ...(SAMPLE_MESSAGES.LaunchTask as { task: object }).task, priority: 9 } });
    expect(nested.ok).toBe(false);
    if (!nested.ok)
      expect(describeCodecError(nested.error)).toBe(
        "LaunchTask.task.priority: unknown field (the fields are taskId, attemptNumber, executorId, taskSetId, index, cpus, payload)",
      );
    const inUnion = validateMessage({ ...SAMPLE_MESSAGES.StatusUpdate, data: { kind: "none", value: 1 } });
    expect(inUnion.ok).toBe(false);
    if (!inUnion.ok) expect(inUnion.error).toMatchObject({ kind: "unknown-field", field: "data.value", known: ["kind"] });
    const inArray = validateMessage({
      ...SAMPLE_MESSAGES.WorkerLatestState,
      executors: [{ appId: "a", execId: 0, cores: 1, memoryMb: 1, state: "RUNNING", pid: 7 }],
    });
    expect(inArray.ok).toBe(false);
    if (!inArray.ok) expect(inArray.error).toMatchObject({ kind: "unknown-field", field: "executors[0].pid" });
    // A name the peer chose is quoted and cut short when it does not look like a field name.
    const odd = validateMessage({ type: "StopExecutor", ["line\nbreak" + "x".repeat(200)]: 1 });
    expect(odd.ok).toBe(false);
    if (!odd.ok)
      expect(describeCodecError(odd.error)).toBe(
        `StopExecutor.${JSON.stringify("line\nbreak" + "x".repeat(54))}: unknown field (the fields are type)`,
      );
    // An opaque object (a command) may hold anything.
    expect(
      validateMessage({
        ...SAMPLE_MESSAGES.LaunchDriver,
        desc: { cores: 1, memoryMb: 1, supervise: true, command: { any: { thing: [1] } } },
      }).ok,
    ).toBe(true);
  });

  it("codec: decodes a payload that is a view into a larger buffer", () => {
    const inner = encodeMessage(SAMPLE_MESSAGES.Heartbeat);
    const big = Buffer.concat([Buffer.from("xxxx"), inner, Buffer.from("yyyy")]);
    expect(decodeMessage(big.subarray(4, 4 + inner.length))).toEqual({ ok: true, message: SAMPLE_MESSAGES.Heartbeat });
  });

  const rejected: Array<[string, string | Buffer, Partial<CodecError>, RegExp]> = [
    ["malformed JSON", '{"type":', { kind: "malformed-json" }, /malformed JSON/],
    ["random bytes", Buffer.from([0xff, 0x00, 0x13, 0x37]), { kind: "malformed-json" }, /malformed JSON/],
    ["a JSON array", "[1,2]", { kind: "not-an-object", got: "an array" }, /an array, not a JSON object/],
    ["a JSON string", '"RegisterWorker"', { kind: "not-an-object" }, /not a JSON object/],
    ["null", "null", { kind: "not-an-object", got: "null" }, /null, not a JSON object/],
    ["no type", '{"workerId":"w"}', { kind: "missing-type" }, /no string 'type'/],
    ["a numeric type", '{"type":3}', { kind: "missing-type" }, /no string 'type'/],
    ["an unknown type", '{"type":"RunShell"}', { kind: "unknown-type", type: "RunShell" }, /unknown message type "RunShell"/],
    ["a prototype key as type", '{"type":"__proto__"}', { kind: "unknown-type" }, /unknown message type/],
    [
      "a missing field",
      '{"type":"Heartbeat","workerId":"w"}',
      { kind: "bad-field", type: "Heartbeat", field: "workerAddress" },
      /Heartbeat.workerAddress: expected a string, got nothing/,
    ],
    [
      "a number as string",
      '{"type":"KillDriver","driverId":5}',
      { kind: "bad-field", field: "driverId" },
      /expected a string, got number 5/,
    ],
    [
      "a fractional integer",
      '{"type":"KillTask","taskId":1.5,"executorId":"0","interruptThread":true,"reason":"r"}',
      { kind: "bad-field", field: "taskId" },
      /expected an integer/,
    ],
    [
      "a string as boolean",
      '{"type":"HeartbeatResponse","reregisterBlockManager":"no"}',
      { kind: "bad-field", field: "reregisterBlockManager" },
      /expected a boolean/,
    ],
    [
      "a bad state",
      '{"type":"ExecutorStateChangedResponse","appId":"a","execId":1,"state":"ZOMBIE"}',
      { kind: "bad-field", field: "state" },
      /expected one of LAUNCHING\|RUNNING/,
    ],
    [
      "a nested missing field",
      '{"type":"RegisterApplication","driverAddress":"flint://d:1","appDesc":{"name":"x","command":{}}}',
      { kind: "bad-field", field: "appDesc.memoryPerExecutorMb" },
      /appDesc.memoryPerExecutorMb: expected a finite number/,
    ],
    [
      "an object where an array belongs",
      '{"type":"KillExecutors","appId":"a","executorIds":{}}',
      { kind: "bad-field", field: "executorIds" },
      /expected an array, got an object/,
    ],
    [
      "a bad array element",
      '{"type":"KillExecutors","appId":"a","executorIds":["1",2]}',
      { kind: "bad-field", field: "executorIds[1]" },
      /executorIds\[1\]: expected a string/,
    ],
    [
      "a bad union tag",
      '{"type":"StatusUpdate","executorId":"0","taskId":1,"state":"FAILED","taskCpus":1,"data":{"kind":"weird"}}',
      { kind: "bad-field", field: "data.kind" },
      /data.kind: expected one of none\|result\|failure/,
    ],
    [
      "a bad nested union",
      '{"type":"StatusUpdate","executorId":"0","taskId":1,"state":"FAILED","taskCpus":1,"data":{"kind":"failure","failure":{"kind":"exception"}}}',
      { kind: "bad-field", field: "data.failure.message" },
      /expected a string/,
    ],
    [
      "a scalar where an object belongs",
      '{"type":"LaunchTask","task":7}',
      { kind: "bad-field", field: "task" },
      /expected an object, got number 7/,
    ],
    [
      "a union that is no object",
      '{"type":"StatusUpdate","executorId":"0","taskId":1,"state":"FAILED","taskCpus":1,"data":[]}',
      { kind: "bad-field", field: "data" },
      /expected an object, got an array/,
    ],
    [
      "a missing any-typed value",
      '{"type":"StatusUpdate","executorId":"0","taskId":1,"state":"FINISHED","taskCpus":1,"data":{"kind":"result","sizeBytes":1}}',
      { kind: "bad-field", field: "data.value" },
      /expected a value/,
    ],
    [
      "an infinite-looking number",
      '{"type":"ExecutorAdded","execId":1,"workerId":"w","hostPort":"h:1","cores":1,"memoryMb":1e999}',
      { kind: "bad-field", field: "memoryMb" },
      /finite number/,
    ],
  ];
  for (const [what, payload, error, message] of rejected) {
    it(`codec: rejects ${what}`, () => {
      const result = decodeMessage(typeof payload === "string" ? Buffer.from(payload) : payload);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toMatchObject(error);
      expect(describeCodecError(result.error)).toMatch(message);
    });
  }

  it("codec: a long bad string is shortened in the description", () => {
    const result = validateMessage({ type: "KillDriver", driverId: ["x"] });
    expect(result.ok).toBe(false);
    const long = validateMessage({ type: "ExecutorStateChangedResponse", appId: "a", execId: 1, state: "Z".repeat(100) });
    expect(long.ok).toBe(false);
    if (!long.ok) expect(describeCodecError(long.error)).toContain("...");
    const unknown = validateMessage({ type: "T".repeat(200) });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(describeCodecError(unknown.error).length).toBeLessThan(100);
  });
});
