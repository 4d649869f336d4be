using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// What a hub sees of many gateways, published by one bare MQTTnet client: for each station its props and
/// availability, for each device its props (the simulated backend's, serialized with the contract's JSON) and
/// availability at QoS 1 on the contract's topics, retained (see <see cref="RetainOn"/>), as a gateway publishes them; and NOTIFIED
/// events.
/// Devices are spread over stations of at most <see cref="DevicesPerStation"/> (what a simulated station holds), with
/// ids unique across stations (<c>{station}-dev-00001</c>), as the hub needs. Every message is built before any is
/// sent, so the feed costs the publisher as little as it can; it keeps <see cref="Window"/> publishes in flight.
/// </summary>
public sealed class DeviceFeed
{
    /// <summary>Devices of one station.</summary>
    public const int DevicesPerStation = 10_000;

    /// <summary>QoS 1 publishes in flight (each lane waits for its PUBACK before the next).</summary>
    public const int Window = 256;

    private static readonly TopicTree Topics = new();
    private static readonly string[] Keys = ["temperature", "counter", "setpoint", "clock", "config"];

    private readonly int _devices;

    /// <summary>A feed of <paramref name="devices"/> devices under the station prefix <paramref name="prefix"/>.</summary>
    public DeviceFeed(string prefix, int devices)
    {
        _devices = devices;
        Stations = [.. Enumerable.Range(1, (devices + DevicesPerStation - 1) / DevicesPerStation).Select(s => $"{prefix}-{s:D2}")];
    }

    /// <summary>The station ids.</summary>
    public IReadOnlyList<string> Stations { get; }

    /// <summary>Devices in all.</summary>
    public int Devices => _devices;

    /// <summary>The station and device id of device <paramref name="i"/> (0-based).</summary>
    public (string Station, string Device) DeviceAt(int i)
    {
        var station = Stations[i / DevicesPerStation];
        return (station, $"{station}-dev-{i % DevicesPerStation + 1:D5}");
    }

    /// <summary>The props a simulated device of index <paramref name="index"/> publishes (model, firmware, index).</summary>
    public byte[] DevicePropsJson(int i)
    {
        var (station, device) = DeviceAt(i);
        var index = i % DevicesPerStation + 1;
        return JsonSerializer.SerializeToUtf8Bytes(new DeviceProps
        {
            Id = device, Station = station, Name = $"Thermostat {index:D4}", Connected = true, Keys = Keys,
            Attributes = new JsonObject { ["model"] = "sim-thermostat", ["firmware"] = "1.2.0", ["index"] = index },
        }, ContractJson.Default.DeviceProps);
    }

    /// <summary>
    /// Whether state goes out retained on a broker, as gateways publish it. Not on the broker host: MQTTnet's server hands
    /// its whole retained set to the host's store on every retained change (O(n) each), so 100,000 retained props would
    /// measure that, not the hub (200,000 messages did not get through in 90 s). A subscribed hub gets either the same way.
    /// </summary>
    public static bool RetainOn(BrokerKind kind) => kind == BrokerKind.Mosquitto;

    /// <summary>Every station's props and availability, then every device's props and availability, QoS 1, retained when asked.</summary>
    public List<MqttApplicationMessage> StateMessages(bool retain)
    {
        var messages = new List<MqttApplicationMessage>(Stations.Count * 2 + _devices * 2);
        foreach (var (station, s) in Stations.Select((x, s) => (x, s)))
        {
            var held = Math.Min(DevicesPerStation, _devices - s * DevicesPerStation);
            var props = JsonSerializer.SerializeToUtf8Bytes(new StationProps
            {
                Id = station, Backend = "simulated", Started = true, DiscoveryEnabled = true, KnownDevices = held, ConnectedDevices = held,
                Attributes = new JsonObject { ["deviceCount"] = held, ["seed"] = 1 },
            }, ContractJson.Default.StationProps);
            messages.Add(State(Topics.StationProps(station), props, retain));
            messages.Add(State(Topics.StationAvailability(station), "online"u8.ToArray(), retain));
        }
        for (int i = 0; i < _devices; i++)
        {
            var (station, device) = DeviceAt(i);
            messages.Add(State(Topics.DeviceProps(station, device), DevicePropsJson(i), retain));
            messages.Add(State(Topics.DeviceAvailability(station, device), "online"u8.ToArray(), retain));
        }
        return messages;
    }

    /// <summary><paramref name="count"/> NOTIFIED events of the temperature key, going round the devices, as a gateway publishes them (QoS 1).</summary>
    public List<MqttApplicationMessage> NotifiedMessages(int count)
    {
        var messages = new List<MqttApplicationMessage>(count);
        var at = DateTimeOffset.UtcNow;
        for (int n = 0; n < count; n++)
        {
            var (station, device) = DeviceAt(n % _devices);
            var text = (18 + n % 700 / 100.0).ToString("0.00", CultureInfo.InvariantCulture);
            var payload = JsonSerializer.SerializeToUtf8Bytes(new EventMessage
            {
                Type = WireName<DeviceEventType>.Of(DeviceEventType.Notified), Station = station, Device = device, Key = "temperature",
                Timestamp = at.AddMilliseconds(n),
                Data = new JsonObject { ["value"] = Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text)), ["text"] = text },
            }, ContractJson.Default.EventMessage);
            messages.Add(new MqttApplicationMessageBuilder().WithTopic(Topics.DeviceEvent(station, device, DeviceEventType.Notified, "temperature"))
                .WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }
        return messages;
    }

    /// <summary>
    /// Publishes the messages with <see cref="Window"/> in flight until all are acknowledged or <paramref name="limit"/>
    /// passes; returns how many were acknowledged and how long it took.
    /// </summary>
    public static async Task<(int Published, TimeSpan Elapsed)> PublishAsync(IMqttClient client, IReadOnlyList<MqttApplicationMessage> messages,
        TimeSpan limit, CancellationToken cancellationToken)
    {
        int next = -1, published = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Window).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < messages.Count && clock.Elapsed < limit)
            {
                var result = await client.PublishAsync(messages[i], cancellationToken);
                if (!result.IsSuccess && result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
                    throw new InvalidOperationException($"publish to {messages[i].Topic} refused: {result.ReasonCode}");
                Interlocked.Increment(ref published);
            }
        }));
        return (published, clock.Elapsed);
    }

    private static MqttApplicationMessage State(string topic, byte[] payload, bool retain) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
}
