namespace MqttIoT.OpcUa.Tests.Infrastructure;

/// <summary>
/// The OPC UA client tests' name for <see cref="MqttIoT.Tests.Infrastructure.Deadline.UntilAsync(Func{bool}, string, TimeSpan?)"/>,
/// with their longer default deadline (a node-opcua server on a loaded machine answers slowly).
/// </summary>
public static class Wait
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    /// <summary>Polls a condition that has no event of its own (a counter), failing at the deadline.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        MqttIoT.Tests.Infrastructure.Deadline.UntilAsync(condition, what, timeout ?? Default);
}
