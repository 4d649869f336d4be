using System.Diagnostics;
using System.Text.Json;
using MqttIoT.Tests.Infrastructure;
using Tmds.DBus;

namespace MqttIoT.Tests.Ble;

/// <summary>
/// A private D-Bus daemon with a BlueZ-shaped service on it (fake_bluez.py, run by Debian's python3 with
/// python3-dbus and python3-gi). There is no Bluetooth hardware here: this is the real D-Bus protocol and BlueZ's
/// object tree, names and errors, with a control surface to make devices appear, drop their link and notify.
/// Missing tools fail fast with what to install (Tests/Backends/Ble/install.sh); every wait has a deadline.
/// </summary>
public sealed class FakeBlueZ : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly string _directory;
    private readonly Process _daemon;
    private readonly List<string> _peerErrors = [];
    private Process? _peer;
    private Connection? _control;

    private FakeBlueZ(string directory, Process daemon, string address)
    {
        _directory = directory;
        _daemon = daemon;
        Address = address;
    }

    /// <summary>The private bus's address: give it to the station as its D-Bus address.</summary>
    public string Address { get; }

    public IFakeBlueZControl Control { get; private set; } = null!;

    public static async Task<FakeBlueZ> StartAsync()
    {
        var daemonPath = FindOnPath("dbus-daemon")
            ?? throw new InvalidOperationException("dbus-daemon is not installed: run Tests/Backends/Ble/install.sh (Debian package dbus-daemon)");
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Python} is missing: run Tests/Backends/Ble/install.sh (Debian packages python3, python3-dbus, python3-gi)");
        var script = Path.Combine(AppContext.BaseDirectory, "Backends", "Ble", "fake_bluez.py");
        if (!File.Exists(script)) throw new InvalidOperationException($"{script} is missing from the test output");

        var directory = Directory.CreateTempSubdirectory("mqttiot-bluez-").FullName;
        var config = Path.Combine(directory, "bus.conf");
        // Our own bus configuration: no dependence on the system's session.conf, and a socket only this test knows.
        await File.WriteAllTextAsync(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:path={Path.Combine(directory, "bus")}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """);
        var daemon = Start(daemonPath, $"--config-file={config} --nofork --print-address=1");
        FakeBlueZ? fake = null;
        try
        {
            var address = await FirstLineAsync(daemon, "dbus-daemon printing its address");
            fake = new FakeBlueZ(directory, daemon, address);
            await fake.StartPeerAsync(script);
            return fake;
        }
        catch
        {
            if (fake is not null) await fake.DisposeAsync();
            else Kill(daemon);
            throw;
        }
    }

    private async Task StartPeerAsync(string script)
    {
        _peer = Start(Python, $"{script} --address {Address}");
        _peer.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_peerErrors) _peerErrors.Add(e.Data); };
        _peer.BeginErrorReadLine();
        var ready = await FirstLineAsync(_peer, "fake BlueZ saying ready", () => string.Join('\n', _peerErrors));
        if (ready != "ready") throw new InvalidOperationException($"fake BlueZ said '{ready}' instead of ready");
        _control = new Connection(Address);
        await _control.ConnectAsync().WaitAsync(StartTimeout);
        Control = _control.CreateProxy<IFakeBlueZControl>("org.bluez", "/org/mqttiot/fake");
    }

    /// <summary>What the peer wrote to stderr (Python tracebacks), for failure messages.</summary>
    public string PeerErrors
    {
        get { lock (_peerErrors) return string.Join('\n', _peerErrors); }
    }

    public async Task<JsonElement> DeviceStateAsync(string address) =>
        JsonDocument.Parse(await Control.DeviceStateAsync(address).WaitAsync(Deadline.Default)).RootElement;

    public async Task<List<string>> CallsAsync() =>
        JsonSerializer.Deserialize<List<string>>(await Control.CallsAsync().WaitAsync(Deadline.Default))!;

    public async ValueTask DisposeAsync()
    {
        _control?.Dispose();
        if (_peer is not null) Kill(_peer);
        Kill(_daemon);
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        await Task.CompletedTask;
    }

    private static Process Start(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
    }

    private static async Task<string> FirstLineAsync(Process process, string what, Func<string>? errors = null)
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(cts.Token);
            if (line is not null) return line.Trim();
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"no {what} within {StartTimeout.TotalSeconds} s");
        }
        var stderr = errors?.Invoke() ?? await process.StandardError.ReadToEndAsync(cts.Token);
        throw new InvalidOperationException($"{what}: the process ended first: {stderr}");
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
