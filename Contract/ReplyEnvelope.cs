using System.Text.Json;

namespace MqttIoT.Sdk.Contract;

/// <summary>
/// The one envelope of every reply: <c>{"status":"ok","data":...}</c> or
/// <c>{"status":"error","error":{"code":"UNKNOWN_KEY","message":"..."}}</c>.
/// The status is also in the <c>status</c> user property, the code in <c>error-code</c>.
/// </summary>
public sealed record ReplyEnvelope
{
    /// <summary><c>ok</c> or <c>error</c>.</summary>
    public required string Status { get; init; }
    /// <summary>The result of a successful request; absent when there is none.</summary>
    public JsonElement? Data { get; init; }
    /// <summary>Why the request failed.</summary>
    public ReplyError? Error { get; init; }
    /// <summary>The MQTT 3.1.1 fallback's correlation id, echoed.</summary>
    public string? CorrelationId { get; init; }
}

/// <summary>The error half of <see cref="ReplyEnvelope"/>.</summary>
/// <param name="Code">A stable code from <see cref="ErrorCode"/>.</param>
/// <param name="Message">What went wrong, for a person.</param>
public sealed record ReplyError(ErrorCode Code, string Message);
