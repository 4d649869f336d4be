namespace MqttIoT.OpcUa;

/// <summary>What a subscription asks for (OPC 10000-4 §5.13.2); the server may revise each.</summary>
public sealed record SubscriptionOptions
{
    /// <summary>How often the server sends notifications.</summary>
    public TimeSpan PublishingInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Publishing intervals without data before the server sends a keep-alive.</summary>
    public uint MaxKeepAliveCount { get; init; } = 10;

    /// <summary>Publishing intervals without a Publish request before the server drops the subscription (at least 3 keep-alives).</summary>
    public uint LifetimeCount { get; init; } = 100;

    /// <summary>Most notifications in one Publish response; 0 for no limit.</summary>
    public uint MaxNotificationsPerPublish { get; init; }

    /// <summary>Relative priority.</summary>
    public byte Priority { get; init; }
}
