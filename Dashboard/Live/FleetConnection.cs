using Microsoft.Extensions.Logging;
using MqttIoT.Sdk;

namespace MqttIoT.Dashboard.Live;

/// <summary>
/// One Sdk client of the dashboard (the anonymous one, the service one, or a logged-in broker user's) with every
/// station and device event it sees fanned out to the pages' streams, and its broker connection's ups and downs
/// announced on them. The Sdk reconnects by itself; this only watches and reports.
/// </summary>
internal sealed partial class FleetConnection : IAsyncDisposable
{
    private static readonly TimeSpan StatusPoll = TimeSpan.FromMilliseconds(250);
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _pumps = [];
    private EventSubscription<DeviceEvent>? _devices;
    private EventSubscription<StationEvent>? _stations;
    private int _disposed;

    private FleetConnection(IoTHubClient client, string? user, ILogger logger, TimeProvider time)
    {
        Client = client;
        User = user;
        _logger = logger;
        _time = time;
    }

    /// <summary>The Sdk client every request of this connection's pages goes through.</summary>
    public IoTHubClient Client { get; }

    /// <summary>The broker user, or null for an anonymous client.</summary>
    public string? User { get; }

    public EventFanout Events { get; } = new();

    /// <summary>Connects an Sdk client with <paramref name="options"/> and subscribes to every event.</summary>
    /// <exception cref="Exception">Whatever the Sdk's connect throws (refused credentials, broker unreachable).</exception>
    public static async Task<FleetConnection> ConnectAsync(IoTHubClientOptions options, ILoggerFactory loggerFactory, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var client = await IoTHubClient.ConnectAsync(options, loggerFactory, time, cancellationToken).ConfigureAwait(false);
        var connection = new FleetConnection(client, options.Username, loggerFactory.CreateLogger<FleetConnection>(), time);
        try
        {
            connection._devices = await client.SubscribeDeviceEventsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            connection._stations = await client.SubscribeStationEventsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        connection._pumps.Add(connection.PumpAsync(connection._devices, LiveEventWriter.From));
        connection._pumps.Add(connection.PumpAsync(connection._stations, LiveEventWriter.From));
        connection._pumps.Add(connection.WatchStatusAsync());
        LogConnected(connection._logger, options.Username ?? "(anonymous)", options.Host, options.Port);
        return connection;
    }

    private async Task PumpAsync<T>(EventSubscription<T> subscription, Func<T, LiveEvent> convert)
    {
        try
        {
            await foreach (var e in subscription.WithCancellation(_stopping.Token).ConfigureAwait(false))
                Events.Publish(convert(e));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { }
    }

    private async Task WatchStatusAsync()
    {
        var was = Client.IsConnected;
        try
        {
            using var timer = new PeriodicTimer(StatusPoll, _time);
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                var now = Client.IsConnected;
                if (now == was) continue;
                was = now;
                LogBrokerStatus(_logger, User ?? "(anonymous)", now);
                Events.Publish(LiveEventWriter.Status(now, _time.GetUtcNow()));
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_devices is not null) await _devices.DisposeAsync().ConfigureAwait(false);
        if (_stations is not null) await _stations.DisposeAsync().ConfigureAwait(false);
        await Client.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_pumps).ConfigureAwait(false);
        Events.CompleteAll();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Dashboard connected to the broker as {User} at {Host}:{Port}")]
    private static partial void LogConnected(ILogger logger, string user, string host, int port);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Dashboard connection of {User}: broker connected {Connected}")]
    private static partial void LogBrokerStatus(ILogger logger, string user, bool connected);
}
