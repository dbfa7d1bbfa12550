// The representative messages both codec benchmarks (codec.js, codec-compare.js) encode and decode.
export const samples = {
  ExecutorHeartbeat: { type: "ExecutorHeartbeat", executorId: "3" },
  LaunchTask: {
    type: "LaunchTask",
    task: {
      taskId: 123456,
      attemptNumber: 0,
      executorId: "3",
      taskSetId: "job-7.0.0",
      index: 4711,
      cpus: 1,
      payload: { data: { fn: "sample", args: [4711, 1000] }, sizeBytes: 32 },
    },
  },
  StatusUpdate: {
    type: "StatusUpdate",
    executorId: "3",
    taskId: 123456,
    state: "FINISHED",
    data: { kind: "result", value: 785398, sizeBytes: 6 },
    taskCpus: 1,
  },
  WorkerLatestState: {
    type: "WorkerLatestState",
    workerId: "worker-20240101000000-127.0.0.1-7078",
    executors: Array.from({ length: 16 }, (_, i) => ({
      appId: "app-20240101000000-0001",
      execId: i,
      cores: 1,
      memoryMb: 1024,
      state: "RUNNING",
    })),
    driverIds: [],
  },
};
