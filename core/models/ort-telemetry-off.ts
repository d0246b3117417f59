// Imported before onnxruntime-node, to load it with its telemetry off. From 1.30 it otherwise keeps
// a device id and a telemetry database under ~/.cache/Microsoft/DeveloperTools and leaves an empty
// /tmp/mat-debug-<pid>.log behind for every process; a self-hosted service writes none of that.
// An ORT_DISABLE_TELEMETRY the operator set (0 to allow it) is left as it is.

process.env.ORT_DISABLE_TELEMETRY ??= '1';

export {};
