using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using MqttIoT.Gateway;
using MqttIoT.Gateway.Backends.Simulated;
using MqttIoT.Sdk;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>
/// The README's <c>mosquitto -c mosquitto.conf</c>, run the way a newcomer runs it: from a fresh copy of the
/// repository's files (what git tracks, no certificates, no data), the file unchanged unless port 1883 is taken on
/// this machine. It must start, serve a gateway and a client with the development users of auth/passwd, and print
/// no warning and no error.
/// </summary>
public class ShippedMosquittoConfigTests
{
    private const string DevPassword = "mqttiot-dev";

    [Fact]
    public async Task The_readme_command_starts_on_a_fresh_clone_serves_a_request_and_warns_about_nothing()
    {
        var clone = await FreshCopyAsync();
        int port = 1883;
        if (!PortIsFree(port))
        {
            // Only what must change: another broker (or test) holds 1883 on this machine.
            port = FreePort.Next();
            var config = Path.Combine(clone, "mosquitto.conf");
            var lines = File.ReadAllLines(config).Select(l => l.StartsWith("listener 1883 ", StringComparison.Ordinal) ? $"listener {port} 127.0.0.1" : l);
            File.WriteAllLines(config, lines);
        }
        await using var broker = await MosquittoBroker.StartAsIsAsync(clone, "mosquitto.conf", port, Path.Combine(clone, "data", "mosquitto"));

        await using var gateway = new GatewayService(
            new GatewayOptions { Mqtt = TestEnvironment.FastReconnect(new() { Port = port, Username = "sim-1", Password = DevPassword }) },
            new SimulatedStation(new SimulatedStationOptions { StationId = "sim-1", DeviceCount = 2 }), NullLoggerFactory.Instance);
        await gateway.StartAsync(Deadline.Token());
        await using var client = await IoTHubClient.ConnectAsync(
            new IoTHubClientOptions { Port = port, Username = "client", Password = DevPassword, DefaultTimeout = TimeSpan.FromSeconds(10) },
            NullLoggerFactory.Instance, cancellationToken: Deadline.Token());
        (await client.GetStation("sim-1").ListKnownDevicesAsync(cancellationToken: Deadline.Token())).Should().NotBeNull();

        await broker.StopAsync();
        broker.Log.Should().NotContainAny(["Warning", "Error"], "the shipped configuration starts clean:\n" + broker.Log);
        File.Exists(broker.PersistenceFile).Should().BeTrue("Mosquitto saved its persistence file at exit, into the folder the repository keeps");
    }

    /// <summary>The files git tracks (and new ones not ignored) under the paths mosquitto.conf reads, copied to a new folder.</summary>
    private static async Task<string> FreshCopyAsync()
    {
        var clone = Directory.CreateTempSubdirectory("mqttiot-fresh-").FullName;
        var listed = await Cli.RunAsync("git", ["-C", MosquittoBroker.RepositoryRoot, "ls-files", "--cached", "--others", "--exclude-standard", "--", "mosquitto.conf", "auth", "data"],
            TimeSpan.FromSeconds(30));
        listed.ExitCode.Should().Be(0, listed.Error);
        var files = listed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        files.Should().Contain("mosquitto.conf");
        foreach (var file in files)
        {
            var target = Path.Combine(clone, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(MosquittoBroker.RepositoryRoot, file), target);
        }
        if (!OperatingSystem.IsWindows() && Environment.UserName == "root")
        {
            // Started by root, Mosquitto drops to the "mosquitto" user: like a clone in a home folder, the copy must be
            // readable by it, and its persistence folder writable (a newcomer running as themselves needs neither).
            File.SetUnixFileMode(clone, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(Path.Combine(clone, "data", "mosquitto"), (UnixFileMode)0b111_111_111);
        }
        return clone;
    }

    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }
}
