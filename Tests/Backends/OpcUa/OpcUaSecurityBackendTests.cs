using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MqttIoT.Gateway.Backends.OpcUa;
using MqttIoT.OpcUa.Testing;
using MqttIoT.OpcUa.Tests.Infrastructure;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// The OPC UA station on a secured endpoint: a server certificate that fails validation is logged with its OPC UA
/// status, the link is retried with a growing delay, and once the operator trusts the certificate the station connects.
/// </summary>
public sealed class OpcUaSecurityBackendTests(OpcUaServerFixture fixture) : IClassFixture<OpcUaServerFixture>, IDisposable
{
    private readonly string _pki = Directory.CreateTempSubdirectory("mqttiot-pki-").FullName;

    public void Dispose() => Directory.Delete(_pki, recursive: true);

    [Fact]
    public async Task An_untrusted_server_certificate_is_logged_with_its_status_retried_with_backoff_and_accepted_once_trusted()
    {
        var time = new RecordingTimeProvider();
        using var logs = new EventLog();
        var options = new OpcUaStationOptions
        {
            StationId = "opcua-secure", Endpoint = fixture.Server.EndpointUrl, RootNode = "ns=1;s=Plant", Security = "Basic256Sha256:SignAndEncrypt",
            PkiPath = _pki, ReconnectMinDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromMilliseconds(400), ReconnectJitter = 0,
        };
        await using var station = new OpcUaStation(options, logs.Factory, time);
        await station.StartAsync(Deadline.Token());
        station.GetProps().Attributes!["connection"]!.GetValue<string>().Should().Be("connecting");

        await Deadline.UntilAsync(() => Task.FromResult(ReconnectDelays(time).Count >= 3), "three reconnect delays");
        ReconnectDelays(time).Take(3).Should().Equal([100, 200, 400], "each refused attempt doubles the wait");
        logs.Messages(2400).Should().NotBeEmpty().And.OnlyContain(m => m.Contains("BadCertificateUntrusted"));

        var rejected = Directory.GetFiles(Path.Combine(_pki, "rejected", "certs")).Should().ContainSingle().Subject;
        File.Move(rejected, Path.Combine(_pki, "trusted", "certs", Path.GetFileName(rejected)));
        await Deadline.UntilAsync(() => Task.FromResult(station.GetProps().Attributes!["connection"]!.GetValue<string>() == "connected"), "connected once trusted");
        station.GetProps().Attributes!["security"]!.GetValue<string>().Should().Be("Basic256Sha256/SignAndEncrypt");
        await station.StartDiscoveryAsync(Deadline.Token());
        station.GetKnownDevices().Should().HaveCount(4);
    }

    [Fact]
    public void Security_settings_parse_and_bad_ones_are_refused_naming_what_is_allowed()
    {
        OpcUaStationOptions.ParseSecurity("best").Should().Be(((string?)null, (MqttIoT.OpcUa.MessageSecurityMode?)null));
        OpcUaStationOptions.ParseSecurity("Aes256_Sha256_RsaPss:Sign").Should().Be(("Aes256_Sha256_RsaPss", MqttIoT.OpcUa.MessageSecurityMode.Sign));
        var bad = () => OpcUaStationOptions.ParseSecurity("Basic128:Sign");
        bad.Should().Throw<ArgumentException>().WithMessage("*Basic256Sha256*");
        var cli = new Gateway.GatewayCommandLine();
        var root = new System.CommandLine.RootCommand();
        cli.AddTo(root);
        var station = cli.CreateBackend(root.Parse(["--backend", "opcua", "--endpoint", "opc.tcp://127.0.0.1:4840/x", "--opcua-security", "Basic256Sha256:SignAndEncrypt",
            "--opcua-pki", _pki]), TimeProvider.System);
        station.GetProps().Attributes!["security"]!.GetValue<string>().Should().Be("Basic256Sha256:SignAndEncrypt");
    }

    /// <summary>The station's reconnect waits: the short one-shot timers (request timeouts and token renewals are far longer).</summary>
    private static List<double> ReconnectDelays(RecordingTimeProvider time) =>
        [.. time.Timers.Where(t => t.Period == Timeout.InfiniteTimeSpan && t.Due <= TimeSpan.FromSeconds(1)).Select(t => t.Due.TotalMilliseconds)];

    /// <summary>Log lines by EventId.</summary>
    private sealed class EventLog : ILoggerProvider
    {
        private readonly ConcurrentQueue<(int EventId, string Message)> _entries = new();

        public EventLog() => Factory = LoggerFactory.Create(b => b.AddProvider(this));

        public ILoggerFactory Factory { get; }

        public List<string> Messages(int eventId) => [.. _entries.Where(e => e.EventId == eventId).Select(e => e.Message)];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose() { }

        private sealed class Logger(EventLog owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) owner._entries.Enqueue((eventId.Id, formatter(state, exception)));
            }
        }
    }
}
