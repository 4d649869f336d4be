using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>IoTHubClient.BulkRequestAsync over a simulated station of 1,000 devices, some of them disconnected: one result per device, exactly once.</summary>
public class BulkRequestTests
{
    private const int Devices = 1000;

    private static async Task<(TestEnvironment Env, IoTHubClient Client, IReadOnlyList<string> Ids)> StartAsync()
    {
        var env = await TestEnvironment.StartAsync(o => { o.DeviceCount = Devices; o.DiscoveryBatchSize = 100; o.NotifyInterval = TimeSpan.FromHours(1); });
        await env.StartHubAsync();
        var client = await env.ConnectClientAsync();
        IReadOnlyList<string> ids = [];
        await Deadline.UntilAsync(async () => (ids = await client.GetStation("sim-1").ListConnectedDevicesAsync()).Count == Devices, "every device connected", TimeSpan.FromSeconds(60));
        return (env, client, ids);
    }

    private static async Task<int> HubCountAsync(IoTHubClient client)
    {
        var n = 0;
        await foreach (var _ in client.FindAllDevicesAsync(null, pageSize: 1000)) n++;
        return n;
    }

    [Fact]
    public async Task A_bulk_read_of_1000_devices_gives_each_device_one_result_and_NOT_CONNECTED_for_the_disconnected()
    {
        var (env, client, ids) = await StartAsync();
        await using var _ = env;
        var disconnected = ids.Where((_, i) => i % 50 == 7).ToHashSet(StringComparer.Ordinal);
        foreach (var id in disconnected) await client.GetDevice("sim-1", id).DisconnectAsync();
        await Deadline.UntilAsync(async () => await HubCountAsync(client) == Devices, "the hub knows every device", TimeSpan.FromSeconds(60));

        var results = new List<BulkResult>();
        await foreach (var r in client.BulkRequestAsync(null, DeviceRequestType.ReadValue, new RequestBody { Key = "temperature" }, maxConcurrency: 32))
            results.Add(r);

        results.Select(r => r.Device).Should().OnlyHaveUniqueItems().And.BeEquivalentTo(ids);
        results.Where(r => !r.Ok).Select(r => r.Device).Should().BeEquivalentTo(disconnected);
        results.Where(r => !r.Ok).Should().OnlyContain(r => r.Error == ErrorCode.NotConnected);
        results.Where(r => r.Ok).Should().OnlyContain(r => r.Data.GetProperty("key").GetString() == "temperature");
        var summary = new BulkSummary();
        foreach (var r in results) summary.Add(r);
        (summary.Total, summary.Succeeded, summary.Failed).Should().Be((Devices, Devices - disconnected.Count, disconnected.Count));
        summary.Failures.Should().Equal(new Dictionary<ErrorCode, int> { [ErrorCode.NotConnected] = disconnected.Count });
        summary.ToString().Should().Be($"1000 devices: {Devices - disconnected.Count} ok, {disconnected.Count} failed (NOT_CONNECTED {disconnected.Count})");
    }

    [Fact]
    public async Task A_filter_narrows_a_bulk_request_a_bad_filter_is_BAD_REQUEST_and_cancelling_ends_the_enumeration()
    {
        var (env, client, ids) = await StartAsync();
        await using var _ = env;
        await Deadline.UntilAsync(async () => await HubCountAsync(client) == Devices, "the hub knows every device", TimeSpan.FromSeconds(60));

        var some = ids.Take(25).ToList();
        var narrowed = await BulkSummary.CollectAsync(client.BulkRequestAsync(new HubFilter().In("id", some), DeviceRequestType.SyncTime, maxConcurrency: 4));
        (narrowed.Total, narrowed.Succeeded).Should().Be((25, 25));

        var bad = async () => await BulkSummary.CollectAsync(client.BulkRequestAsync(HubFilter.Parse("""{"online":{"$nope":1}}"""), DeviceRequestType.Reset));
        (await bad.Should().ThrowAsync<IoTException>()).Which.Code.Should().Be(ErrorCode.BadRequest);

        using var cts = new CancellationTokenSource();
        var seen = 0;
        var cancelled = async () =>
        {
            await foreach (var r in client.BulkRequestAsync(null, DeviceRequestType.SyncTime, maxConcurrency: 8, cancellationToken: cts.Token))
                if (++seen == 100) await cts.CancelAsync();
        };
        await cancelled.Should().ThrowAsync<OperationCanceledException>();
        seen.Should().BeInRange(100, 100 + 8, "at most the results already in flight or buffered arrive after the cancel");
    }
}
