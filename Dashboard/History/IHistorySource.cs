namespace MqttIoT.Dashboard.History;

/// <summary>One past value of a key.</summary>
public sealed record HistoryPoint(DateTimeOffset At, string Value, string? Text);

/// <summary>What a history source answered: whether it has history at all, and the points in the range, oldest first.</summary>
public sealed record HistoryAnswer(bool Available, string? Note, IReadOnlyList<HistoryPoint> Points);

/// <summary>
/// Where the plot gets the values of a key before the page opened. The hub has no GET_HISTORY query yet, so the
/// default source (<see cref="NoHistory"/>) says so and the page plots live values only; a source built on that query
/// plugs in here (DashboardServer's constructor) without touching the page, which always asks this endpoint first.
/// </summary>
public interface IHistorySource
{
    Task<HistoryAnswer> GetAsync(Sdk.IoTHubClient client, string station, string device, string key, DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken);
}

/// <summary>No history: the hub cannot answer for the past yet.</summary>
public sealed class NoHistory : IHistorySource
{
    public Task<HistoryAnswer> GetAsync(Sdk.IoTHubClient client, string station, string device, string key, DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken) =>
        Task.FromResult(new HistoryAnswer(false, "the hub keeps no history yet: the plot shows values seen since the page opened", []));
}
