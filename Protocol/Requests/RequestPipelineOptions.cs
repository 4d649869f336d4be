namespace MqttIoT.Protocol.Requests;

/// <summary>How a <see cref="RequestPipeline{TBody, TContext}"/> takes, bounds and answers its requests.</summary>
public sealed class RequestPipelineOptions
{
    /// <summary>What a request is called in log lines ("Request", "Hub query").</summary>
    public string Kind { get; set; } = "Request";

    /// <summary>Who answers, in replies people read ("the gateway is stopping").</summary>
    public string Service { get; set; } = "service";

    /// <summary>The largest body read; a larger one is BAD_REQUEST.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Requests taken off the receive loop and waiting for a slot; when full, the receive loop waits (QoS 1 backpressure).</summary>
    public int MaxQueued { get; set; } = 4096;

    /// <summary>Requests being worked on at once (waiting for admission or running).</summary>
    public int MaxInFlight { get; set; } = 256;

    /// <summary>The deadline of a request that carries neither a MessageExpiryInterval nor a timeout.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether a request with nowhere to reply to still runs: true where a request changes something (a gateway write
    /// sent fire-and-forget), false where it only reads (a hub query nobody hears the answer of is skipped).
    /// </summary>
    public bool RunWithoutReply { get; set; } = true;

    /// <summary>How long a reply is kept to answer a redelivered request again instead of running it twice; zero keeps none.</summary>
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.Zero;

    /// <summary>The most replies kept for <see cref="DuplicateWindow"/>.</summary>
    public int MaxRememberedReplies { get; set; } = 10_000;

    /// <summary>The error code of a failure nobody classified: BACKEND_FAILURE at a gateway, INTERNAL at the hub.</summary>
    public Sdk.Contract.ErrorCode UnexpectedFailureCode { get; set; } = Sdk.Contract.ErrorCode.Internal;

    /// <summary>Throws when the options cannot work.</summary>
    public void Validate()
    {
        if (MaxBodyBytes <= 0) throw new ArgumentException("MaxBodyBytes must be positive");
        if (MaxInFlight <= 0 || MaxQueued <= 0) throw new ArgumentException("MaxInFlight and MaxQueued must be positive");
        if (DefaultTimeout <= TimeSpan.Zero) throw new ArgumentException("DefaultTimeout must be positive");
        if (DuplicateWindow < TimeSpan.Zero || MaxRememberedReplies < 0) throw new ArgumentException("the duplicate window must not be negative");
    }
}
