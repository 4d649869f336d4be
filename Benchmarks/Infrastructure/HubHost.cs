using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// The hub host (<c>HubService/bin/Release/net10.0/MqttIoT.HubService.dll</c>) as a child process on a broker, with
/// its LiteDB index in a folder of the scenario's scratch folder, logging warnings and errors only, and a bare
/// requester that asks it hub queries (MQTT v5 request/response, as the Sdk does on the wire).
/// </summary>
public sealed class HubHost : IAsyncDisposable
{
    private static readonly TopicTree Topics = new();
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(1);

    private HubHost(ChildProcess process, BareRequester requester, string dataDirectory)
    {
        Process = process;
        Requester = requester;
        DataDirectory = dataDirectory;
    }

    /// <summary>The hub process.</summary>
    public ChildProcess Process { get; }

    /// <summary>Asks the hub queries.</summary>
    public BareRequester Requester { get; }

    /// <summary>The folder of its index.</summary>
    public string DataDirectory { get; }

    /// <summary>The LiteDB file (<c>hub.db</c>).</summary>
    public string DatabasePath => Path.Combine(DataDirectory, "hub.db");

    /// <summary>LiteDB's write-ahead log beside it (<c>hub-log.db</c>).</summary>
    public string LogPath => Path.Combine(DataDirectory, "hub-log.db");

    /// <summary>Starts the hub host and waits until it answers queries (it does once the broker's retained state is in).</summary>
    public static async Task<HubHost> StartAsync(BenchContext context, int port, string name, TimeSpan limit, CancellationToken cancellationToken)
    {
        var dll = Path.Combine(context.RepositoryRoot, "HubService", "bin", "Release", "net10.0", "MqttIoT.HubService.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"build the hub host in Release first ({dll})");
        var data = Path.Combine(context.Scratch, $"{name}-{port}");
        Directory.CreateDirectory(data);
        var process = ChildProcess.Start("dotnet", [dll, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--data", data],
            context.Scratch, new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });
        BareRequester? requester = null;
        try
        {
            requester = await BareRequester.StartAsync(port, cancellationToken);
            var hub = new HubHost(process, requester, data);
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited) throw new InvalidOperationException($"the hub exited:\n{process.Output}");
                try
                {
                    await hub.QueryAsync(HubQueryType.ListStations, """{"limit":1}""", cancellationToken);
                    return hub;
                }
                // Until it subscribes to queries the broker has nobody to give them to (PUBACK 0x10).
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException && clock.Elapsed < limit)
                {
                    await Task.Delay(20, cancellationToken);
                }
            }
        }
        catch
        {
            if (requester is not null) await requester.DisposeAsync();
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>One query; returns the reply's <c>data</c>, or throws with the reply when it is an error.</summary>
    public async Task<JsonElement> QueryAsync(HubQueryType type, string body, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var reply = await Requester.RequestAsync(Topics.HubQuery(type), Encoding.UTF8.GetBytes(body), timeout ?? QueryTimeout, cancellationToken);
        using var doc = JsonDocument.Parse(reply.Payload);
        if (doc.RootElement.GetProperty("status").GetString() != "ok")
            throw new InvalidOperationException($"{type} {body}: {doc.RootElement.GetRawText()}");
        return doc.RootElement.GetProperty("data").Clone();
    }

    /// <summary>Devices the hub's index holds for these stations (GET_STATION's <c>devices</c>; 0 for a station it does not know yet).</summary>
    public async Task<int> CountDevicesAsync(IEnumerable<string> stations, CancellationToken cancellationToken)
    {
        int count = 0;
        foreach (var station in stations)
        {
            try
            {
                var record = await QueryAsync(HubQueryType.GetStation, JsonSerializer.Serialize(new { station }), cancellationToken, PollTimeout);
                count += record.GetProperty("devices").GetInt32();
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("UNKNOWN_STATION", StringComparison.Ordinal)) { }
        }
        return count;
    }

    /// <summary>
    /// Polls (every 10 ms) until the index holds <paramref name="expected"/> devices of these stations; returns the time
    /// from <paramref name="since"/> (a Stopwatch timestamp) until it did. Throws when <paramref name="limit"/> passes first.
    /// </summary>
    public async Task<TimeSpan> WaitForDevicesAsync(IReadOnlyList<string> stations, int expected, long since, TimeSpan limit,
        CancellationToken cancellationToken)
    {
        int count = 0;
        while (true)
        {
            // A hub still working through a burst answers late: its queries arrive behind the queued state messages.
            try { count = await CountDevicesAsync(stations, cancellationToken); }
            catch (TimeoutException) { }
            if (count >= expected) break;
            if (Process.HasExited) throw new InvalidOperationException($"the hub exited:\n{Process.Output}");
            if (Stopwatch.GetElapsedTime(since) > limit)
                throw new TimeoutException($"the hub indexed only {count:N0} of {expected:N0} devices within {limit.TotalSeconds:0} s:\n{Process.Output}");
            await Task.Delay(10, cancellationToken);
        }
        return Stopwatch.GetElapsedTime(since);
    }

    /// <summary>"; the hub logged N warnings, first: ..." for a row's note, or "" when it logged none.</summary>
    public string WarningsNote()
    {
        var problems = Process.Problems();
        return problems.Count == 0 ? "" : $"; the hub logged {problems.Count} warnings, first: {problems[0]}";
    }

    /// <summary>Size of a file in bytes, 0 when it is not there.</summary>
    public static long FileSize(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>Stops the hub (SIGTERM: it commits and checkpoints) and the requester.</summary>
    public async ValueTask DisposeAsync()
    {
        await Requester.DisposeAsync();
        await Process.DisposeAsync();
    }
}
