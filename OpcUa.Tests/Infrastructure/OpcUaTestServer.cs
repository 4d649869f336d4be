using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MqttIoT.OpcUa.Testing;

/// <summary>
/// The node-opcua test server (Tests/opcua-server/server.js) as a child process on a free loopback port. The
/// first use in a process runs install.sh (idempotent, and locked against other test processes doing the same);
/// start waits for the server's READY line with a deadline; stop kills it; restart brings it back on the same port.
/// Shared by the client tests and the gateway's end-to-end tests (linked into both).
/// </summary>
public sealed class OpcUaTestServer : IAsyncDisposable
{
    private static readonly TimeSpan InstallDeadline = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(45);
    private static readonly Lazy<Task> Installed = new(InstallAsync);
    private readonly StringBuilder _output = new();
    private Process? _process;

    private readonly string[] _arguments;

    private OpcUaTestServer(int port, string[] arguments)
    {
        Port = port;
        _arguments = arguments;
    }

    /// <summary>The server's application instance certificate (DER), from the prepared PKI folder.</summary>
    public static byte[] Certificate => System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(
        File.ReadAllText(Path.Combine(Folder, "pki", "server_certificate.pem"))).RawData;

    /// <summary>The folder with server.js.</summary>
    public static string Folder { get; } = FindFolder();

    /// <summary>The TCP port.</summary>
    public int Port { get; }

    /// <summary>The endpoint URL.</summary>
    public string EndpointUrl => $"opc.tcp://127.0.0.1:{Port}/UA/MqttIoT";

    /// <summary>Whether the server process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Installs if needed and starts a server on a free loopback port; <paramref name="arguments"/> go to server.js (<c>--secure-only</c>).</summary>
    public static async Task<OpcUaTestServer> StartAsync(params string[] arguments)
    {
        await Installed.Value;
        var server = new OpcUaTestServer(FreePort(), arguments);
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Kills the server (as a crash would: no goodbye to clients).</summary>
    public async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(deadline.Token);
        }
        finally { process.Dispose(); }
    }

    /// <summary>Starts the server again on the same port.</summary>
    public Task RestartAsync() => StartProcessAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StartProcessAsync()
    {
        if (IsRunning) throw new InvalidOperationException("the test server is already running");
        var info = new ProcessStartInfo("node", ["server.js", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. _arguments])
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The server exits when its stdin closes, so a test host that dies takes it along.
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output) _output.AppendLine(e.Data);
            if (e.Data.StartsWith("READY ", StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output) _output.AppendLine(e.Data);
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"the OPC UA test server exited before it was ready:\n{Output()}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await ready.Task.WaitAsync(StartDeadline);
        }
        catch (TimeoutException)
        {
            await StopAsync();
            throw new TimeoutException($"the OPC UA test server was not ready within {StartDeadline.TotalSeconds} s:\n{Output()}");
        }
    }

    private string Output()
    {
        lock (_output) return _output.ToString();
    }

    private static async Task InstallAsync()
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(Folder, "install.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(InstallDeadline);
        try { await process.WaitForExitAsync(deadline.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"install.sh did not finish within {InstallDeadline.TotalMinutes} minutes");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"install.sh failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Tests", "opcua-server");
            if (File.Exists(Path.Combine(candidate, "server.js"))) return candidate;
        }
        throw new DirectoryNotFoundException("Tests/opcua-server/server.js not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// The system clock, writing down every timer made on it: when the code under test asked for it, for how long, and
/// when it fired. Tests read the delays and renewal times off it instead of guessing them from outside. It lives in
/// this file because this file is linked into both OPC UA test projects.
/// </summary>
public sealed class RecordingTimeProvider : TimeProvider
{
    private readonly List<RecordedTimer> _timers = [];

    /// <summary>The timers made so far, oldest first.</summary>
    public IReadOnlyList<RecordedTimer> Timers
    {
        get { lock (_timers) return [.. _timers]; }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new RecordedTimer(dueTime, period, GetTimestamp());
        lock (_timers) _timers.Add(timer);
        return base.CreateTimer(s =>
        {
            timer.Fired(GetTimestamp());
            callback(s);
        }, state, dueTime, period);
    }
}

/// <summary>One timer of a <see cref="RecordingTimeProvider"/>; timestamps are the provider's.</summary>
public sealed class RecordedTimer(TimeSpan due, TimeSpan period, long createdAt)
{
    private long _firstFiredAt;

    public TimeSpan Due { get; } = due;

    public TimeSpan Period { get; } = period;

    public long CreatedAt { get; } = createdAt;

    /// <summary>When it first fired, or null.</summary>
    public long? FirstFiredAt => Interlocked.Read(ref _firstFiredAt) is var at and not 0 ? at : null;

    internal void Fired(long at) => Interlocked.CompareExchange(ref _firstFiredAt, at, 0);
}
