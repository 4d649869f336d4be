namespace MqttIoT.Sdk.Contract;

/// <summary>Fixed strings of the contract other than topics: user properties, status values, availability.</summary>
public static class Wire
{
    /// <summary>User property carrying <see cref="StatusOk"/> or <see cref="StatusError"/> on every reply.</summary>
    public const string StatusProperty = "status";
    /// <summary>User property carrying the error code on an error reply.</summary>
    public const string ErrorCodeProperty = "error-code";
    /// <summary>
    /// User property of a request: the requester's timeout in milliseconds. MessageExpiryInterval counts whole seconds;
    /// this says exactly how long the requester waits, and a responder takes whichever of the two ends first.
    /// </summary>
    public const string TimeoutProperty = "timeout-ms";
    /// <summary>
    /// User property of every event: its <see cref="EventMessage.Seq"/>; of retained props and availability: the seq of
    /// the station's last event when they were published.
    /// </summary>
    public const string SeqProperty = "seq";
    /// <summary>Status of a successful reply.</summary>
    public const string StatusOk = "ok";
    /// <summary>Status of a failed reply.</summary>
    public const string StatusError = "error";
    /// <summary>Availability payload while the gateway is up (or the device connected).</summary>
    public const string Online = "online";
    /// <summary>Availability payload once it is not.</summary>
    public const string Offline = "offline";
    /// <summary>Content type of every JSON payload.</summary>
    public const string JsonContentType = "application/json";
}
