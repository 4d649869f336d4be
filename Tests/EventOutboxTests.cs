using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MqttIoT.Gateway;
using MqttIoT.Gateway.Publishing;
using MqttIoT.Protocol;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// Gap-free event streams, gateway side: every event numbered (seq), kept in the durable outbox, read back with
/// GET_EVENTS; the outbox survives restarts and damage without seq going backwards.
/// </summary>
public sealed class EventOutboxTests : IDisposable
{
    private const int SetAsideEventId = 2010;
    private readonly string _dir = Directory.CreateTempSubdirectory("mqttiot-outbox-").FullName;
    private readonly CapturingLoggerProvider _logs = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string OutboxFile => Path.Combine(_dir, "outbox.bin");

    private EventOutbox Open(Action<GatewayOptions>? configure = null)
    {
        var options = new GatewayOptions { OutboxPath = OutboxFile };
        configure?.Invoke(options);
        using var factory = LoggerFactory.Create(b => b.AddProvider(_logs));
        return new EventOutbox(options, _clock, factory.CreateLogger<EventOutbox>());
    }

    private void AppendMany(EventOutbox outbox, int count)
    {
        for (var i = 0; i < count; i++)
            outbox.Append(_clock.GetUtcNow(), i % 2 == 0 ? "NOTIFIED" : "CONNECTED", "iot/v1/stations/s/devices/d/events/NOTIFIED/k",
                seq => Encoding.UTF8.GetBytes($$"""{"type":"NOTIFIED","station":"s","seq":{{seq}}}"""));
    }

    private static List<long> AllSeqs(EventOutbox outbox) => outbox.Read(0, int.MaxValue, _ => true, int.MaxValue).Events.Select(r => r.Seq).ToList();

    // ---- the outbox itself ----

    [Fact]
    public void Seq_and_events_survive_reopening_the_file()
    {
        using (var outbox = Open())
        {
            AppendMany(outbox, 5);
            outbox.LastSeq.Should().Be(5);
        }
        using (var outbox = Open())
        {
            outbox.LastSeq.Should().Be(5, "a clean stop leaves the exact seq");
            AllSeqs(outbox).Should().Equal(1, 2, 3, 4, 5);
            outbox.Read(0, 10, _ => true, 100).Events[2].Payload.Should().Equal(Encoding.UTF8.GetBytes("""{"type":"NOTIFIED","station":"s","seq":3}"""));
            AppendMany(outbox, 1);
            outbox.LastSeq.Should().Be(6);
        }
        _logs.Count(SetAsideEventId).Should().Be(0);
        File.Exists(OutboxFile + ".bad").Should().BeFalse();
    }

    [Fact]
    public void A_torn_last_record_is_kept_aside_reported_once_and_seq_does_not_go_back()
    {
        using (var outbox = Open()) AppendMany(outbox, 10);
        using (var file = new FileStream(OutboxFile, FileMode.Open)) file.SetLength(file.Length - 3); // a write cut short

        using (var outbox = Open())
        {
            outbox.SetAsidePath.Should().Be(OutboxFile + ".bad");
            File.Exists(OutboxFile + ".bad").Should().BeTrue();
            AllSeqs(outbox).Should().Equal(Enumerable.Range(1, 9).Select(i => (long)i), "the records before the torn one are kept");
            outbox.LastSeq.Should().BeGreaterThanOrEqualTo(10, "seq never goes backwards");
            AppendMany(outbox, 1);
            outbox.LastSeq.Should().BeGreaterThan(10);
        }
        using (var outbox = Open()) outbox.SetAsidePath.Should().BeNull("the new outbox is sound");
        _logs.Count(SetAsideEventId).Should().Be(1, "the damage is reported once");
    }

    [Fact]
    public void A_damaged_middle_record_is_kept_aside_and_seq_continues_past_the_reservation_after_a_crash()
    {
        using (var outbox = Open()) AppendMany(outbox, 10);
        var bytes = File.ReadAllBytes(OutboxFile);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(OutboxFile, bytes);
        // A crash leaves the side file's reservation rather than the exact seq.
        File.WriteAllText(OutboxFile + ".seq", (10 + EventOutbox.ReserveBlock).ToString(System.Globalization.CultureInfo.InvariantCulture));

        using (var outbox = Open())
        {
            outbox.SetAsidePath.Should().NotBeNull();
            File.ReadAllBytes(outbox.SetAsidePath!).Should().Equal(bytes, "the damaged file is kept as it was");
            AllSeqs(outbox).Should().HaveCountLessThan(10).And.BeInAscendingOrder();
            outbox.LastSeq.Should().Be(10 + EventOutbox.ReserveBlock);
            AppendMany(outbox, 1);
            outbox.LastSeq.Should().Be(11 + EventOutbox.ReserveBlock);
        }
        _logs.Count(SetAsideEventId).Should().Be(1);
    }

    [Fact]
    public void The_bounds_drop_the_oldest_and_the_file_is_compacted()
    {
        using (var outbox = Open(o => o.MaxOutboxEvents = 100))
        {
            AppendMany(outbox, 5000);
            AllSeqs(outbox).Should().Equal(Enumerable.Range(4901, 100).Select(i => (long)i));
            // Compaction rewrites the file once it holds twice the held records (at least 1024): never 5000 records.
            new FileInfo(OutboxFile).Length.Should().BeLessThan(2100L * 100);
        }
        using (var outbox = Open(o => o.MaxOutboxEvents = 100))
        {
            outbox.Read(0, 1000, _ => true, 1000).First.Should().Be(4901);
            _clock.Advance(TimeSpan.FromHours(25)); // every record is older than OutboxMaxAge now
            var page = outbox.Read(0, 1000, _ => true, 1000);
            page.Events.Should().BeEmpty();
            page.First.Should().BeNull();
            page.Last.Should().Be(5000, "seq is kept when the events age out");
        }
    }

    // ---- end to end ----

    [Fact]
    public async Task Every_event_carries_a_seq_one_above_the_previous_in_json_and_user_property()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 2);
        var raw = await env.ConnectRawAsync();
        await raw.SubscribeAsync("iot/v1/stations/sim-1/events/#");
        await raw.SubscribeAsync("iot/v1/stations/sim-1/devices/+/events/#");
        var client = await env.ConnectClientAsync();
        var station = client.GetStation("sim-1");
        var device = station.GetDevice("dev-0001");

        await station.DisconnectDeviceAsync("dev-0002");
        await station.ConnectDeviceAsync("dev-0002");
        await device.EnableNotificationsAsync("counter");
        await using (var notified = await device.SubscribeToNotificationsAsync("counter")) await notified.CollectAsync(3);
        await device.DisableNotificationsAsync("counter");
        await station.StopAsync();
        await station.StartAsync();

        var last = env.Gateway.LastSeq;
        var received = new List<(long Json, string? Property, string Type)>();
        await raw.NextAsync(m =>
        {
            if (!m.Topic.Contains("/events/", StringComparison.Ordinal)) return false;
            var e = JsonSerializer.Deserialize(m.Payload, ContractJson.Default.EventMessage)!;
            received.Add((e.Seq!.Value, m.UserProperty(Wire.SeqProperty), e.Type));
            return e.Seq == last;
        });
        received.Should().OnlyContain(r => r.Property == r.Json.ToString(System.Globalization.CultureInfo.InvariantCulture), "the user property says the same");
        var seqs = received.Select(r => r.Json).Distinct().Order().ToList();
        seqs.Should().Equal(Enumerable.Range((int)seqs[0], (int)(last - seqs[0] + 1)).Select(i => (long)i), "seq goes up by one per event, none skipped");
        received.Select(r => r.Type).Distinct().Should().Contain(["STOPPED", "STARTED", "DEVICE_DISCONNECTED", "DEVICE_CONNECTED", "DISCONNECTED", "CONNECTED",
            "NOTIFY_STARTED", "NOTIFIED", "NOTIFY_STOPPED", "PROPS_CHANGED"]);

        // The outbox holds the same events from the first, and retained state says how current it is.
        var all = await ReadAllAsync(station, after: 0, limit: 1000);
        all.Select(e => e.Seq!.Value).Take((int)last).Should().Equal(Enumerable.Range(1, (int)last).Select(i => (long)i));
        var retained = await env.ConnectRawAsync();
        await retained.SubscribeAsync("iot/v1/stations/sim-1/props");
        var props = await retained.NextAsync(m => m.Retain);
        long.Parse(props.UserProperty(Wire.SeqProperty)!, System.Globalization.CultureInfo.InvariantCulture).Should().BeInRange(1, env.Gateway.LastSeq);
    }

    [Fact]
    public async Task Get_events_pages_through_with_next_and_filters_by_type()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 3);
        var station = (await env.ConnectClientAsync()).GetStation("sim-1");
        var last = env.Gateway.LastSeq;
        last.Should().BeGreaterThan(10, "discovering and connecting three devices emits more");

        var whole = await station.GetEventsAsync(after: 0, limit: 1000);
        whole.Next.Should().BeNull();
        whole.First.Should().Be(1);
        whole.Last.Should().BeGreaterThanOrEqualTo(last);
        var paged = await ReadAllAsync(station, after: 0, limit: 4);
        paged.Select(e => e.Seq).Should().Equal(whole.Events.Select(e => e.Seq).Take(paged.Count));
        paged.Count.Should().BeGreaterThanOrEqualTo(whole.Events.Count);

        var connected = await station.GetEventsAsync(after: 0, limit: 1000, types: ["DEVICE_CONNECTED"]);
        connected.Events.Select(e => e.Device).Should().BeEquivalentTo("dev-0001", "dev-0002", "dev-0003");
        connected.Events.Should().OnlyContain(e => e.Type == "DEVICE_CONNECTED" && e.Station == "sim-1");
        connected.Events.Select(e => e.Seq).Should().BeInAscendingOrder();

        var newest = await station.GetEventsAsync(after: whole.Last);
        newest.Events.Should().BeEmpty("nothing is newer than the newest");
        newest.Next.Should().BeNull();
    }

    [Fact]
    public async Task A_cursor_older_than_the_outbox_holds_gets_out_of_range_naming_the_oldest_seq()
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 3, configureGateway: g => g.MaxOutboxEvents = 5);
        var station = (await env.ConnectClientAsync()).GetStation("sim-1");
        env.Gateway.LastSeq.Should().BeGreaterThan(6);

        var held = await station.GetEventsAsync();
        held.Events.Should().HaveCount(5, "MaxOutboxEvents bounds the outbox");
        held.First.Should().Be(held.Events[0].Seq);
        var gone = () => station.GetEventsAsync(after: 0);
        var error = (await gone.Should().ThrowAsync<IoTException>()).Which;
        error.Code.Should().Be(ErrorCode.OutOfRange);
        var named = long.Parse(System.Text.RegularExpressions.Regex.Match(error.Message, "oldest seq held is ([0-9]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        named.Should().BeGreaterThanOrEqualTo(held.First!.Value, "the message names the oldest seq held");
        var fromOldest = await station.GetEventsAsync(after: named - 1);
        fromOldest.Events.Should().NotBeEmpty("the cursor just before the oldest held is in range");
        fromOldest.Events[0].Seq.Should().Be(named);
    }

    [Fact]
    public async Task Seq_and_the_outbox_survive_a_gateway_restart()
    {
        var path = Path.Combine(_dir, "gateway", "outbox.bin");
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 2, configureGateway: g => g.OutboxPath = path);
        var client = await env.ConnectClientAsync();
        var station = client.GetStation("sim-1");
        var before = await station.GetEventsAsync(after: 0, limit: 1000);
        await env.Gateway.StopAsync(Deadline.Token());
        var last = env.Gateway.LastSeq;
        last.Should().BeGreaterThanOrEqualTo(before.Last);

        await using var started = await station.SubscribeToEventsAsync(StationEventType.Started);
        await env.StartGatewayAsync(o => o.DeviceCount = 2, connectAll: false, configureGateway: g => g.OutboxPath = path);
        await started.WaitForAsync(_ => true);
        var after = await station.GetEventsAsync(after: 0, limit: 1000);
        after.Events.Take(before.Events.Count).Select(e => e.Seq).Should().Equal(before.Events.Select(e => e.Seq), "the events before the restart are still there");
        after.Events.Take(before.Events.Count).Select(e => e.Type).Should().Equal(before.Events.Select(e => e.Type));
        after.Events[before.Events.Count].Seq.Should().Be(last + 1, "a clean restart continues seq where it was");
        after.Events[before.Events.Count].Type.Should().Be("STARTED");
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "negative cursor", """{"after":-1}""" },
        { "non-numeric cursor", """{"after":"abc"}""" },
        { "huge cursor", """{"after":1e30}""" },
        { "cursor beyond the newest", """{"after":9000000000}""" },
        { "limit over the maximum", """{"limit":1001}""" },
        { "zero limit", """{"limit":0}""" },
        { "unknown type", """{"types":["NOTIFIED","NO_SUCH_EVENT"]}""" },
        { "types not a list", """{"types":"NOTIFIED"}""" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_get_events_input_gets_bad_request_with_a_message(string what, string body)
    {
        await using var env = await TestEnvironment.StartAsync(o => o.DeviceCount = 1);
        var raw = await env.ConnectRawAsync();
        var reply = await raw.RequestAsync("iot/v1/stations/sim-1/queries/GET_EVENTS", Encoding.UTF8.GetBytes(body));
        reply.UserProperty(Wire.ErrorCodeProperty).Should().Be("BAD_REQUEST", what);
        using var json = JsonDocument.Parse(reply.Payload);
        json.RootElement.GetProperty("error").GetProperty("message").GetString().Should().NotBeNullOrWhiteSpace();
        var ok = await raw.RequestAsync("iot/v1/stations/sim-1/queries/GET_EVENTS", """{"limit":1}"""u8.ToArray());
        ok.UserProperty(Wire.StatusProperty).Should().Be("ok", "the gateway goes on serving");
    }

    [Fact]
    public void The_outbox_flag_reaches_the_gateway_options()
    {
        var root = new System.CommandLine.RootCommand();
        var cli = new GatewayCommandLine();
        cli.AddTo(root);
        using var host = GatewayHost.CreateBuilder(cli, root.Parse(["--outbox", OutboxFile]),
            new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings { ContentRootPath = _dir }).Build();
        MqttIoT.Hosting.HostRunner.Failures(host.Services).Should().BeNull();
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayOptions>>(host.Services)
            .Value.Should().BeEquivalentTo(new { OutboxPath = OutboxFile, MaxOutboxEvents = 100_000, MaxOutboxBytes = 64L * 1024 * 1024, OutboxMaxAge = TimeSpan.FromHours(24) });
    }

    private static async Task<List<EventMessage>> ReadAllAsync(RemoteStation station, long after, int limit)
    {
        var events = new List<EventMessage>();
        for (var pages = 0; pages < 1000; pages++) // bounded: a cursor that never ends fails the test
        {
            var page = await station.GetEventsAsync(after, limit);
            events.AddRange(page.Events);
            if (page.Next is not { } next) return events;
            next.Should().BeGreaterThan(after, "the cursor moves on");
            after = next;
        }
        throw new InvalidOperationException("GET_EVENTS never reached the newest event");
    }
}
