namespace MqttIoT.Sdk.Contract;

/// <summary>One page of a LIST_* or FIND_* hub query.</summary>
/// <typeparam name="T">Station ids or <see cref="DeviceAddress"/>es for LIST_*, records for FIND_*.</typeparam>
public sealed record HubPage<T>
{
    /// <summary>The items of this page, in the query's order.</summary>
    public IReadOnlyList<T> Items { get; init; } = [];
    /// <summary>The token of the next page (send it back as <c>after</c>); null on the last page.</summary>
    public string? Next { get; init; }
}
