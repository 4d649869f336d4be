using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// One of the repository's hosts (the hub, the broker, a gateway: each dll built by the solution build and copied
/// next to the tests) run as a child process, so a test can kill it the hard way (SIGKILL) or stop it the way a
/// service manager does (SIGTERM).
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostProcess(Process process) => _process = process;

    public ConcurrentQueue<string> Output { get; } = new();

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The hub host with its index in <paramref name="dataDirectory"/>.</summary>
    public static HostProcess StartHub(int port, string dataDirectory, params string[] extra) =>
        Start("MqttIoT.HubService.dll", "HubService", ["--port", Number(port), "--data", dataDirectory, .. extra]);

    /// <summary>The broker host on <paramref name="port"/>, retained messages in <paramref name="dataDirectory"/>.</summary>
    public static HostProcess StartBroker(int port, string dataDirectory, params string[] extra) =>
        Start("MqttIoT.Broker.dll", "Broker", ["--port", Number(port), "--data", dataDirectory, .. extra]);

    /// <summary>The gateway host with the given command line.</summary>
    public static HostProcess StartGateway(params string[] args) => Start("MqttIoT.Gateway.dll", "Gateway", args);

    /// <summary>The gateway host run in <paramref name="workingDirectory"/> (its content root: appsettings.json is read from there) with extra environment variables.</summary>
    public static HostProcess StartGatewayIn(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start("MqttIoT.Gateway.dll", "Gateway", args, environment, workingDirectory);

    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static HostProcess Start(string dll, string project, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        foreach (var arg in (string[])[LocateDll(dll, project), .. args]) info.ArgumentList.Add(arg);
        info.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {dll}");
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) host.Output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) host.Output.Enqueue("ERR " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits until the process accepts TCP connections on <paramref name="port"/> (a broker has no other readiness signal).</summary>
    public Task WaitUntilListeningAsync(int port, TimeSpan? timeout = null) =>
        WaitUntilListeningAsync(_process, port, () => string.Join('\n', Output), timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>Waits until <paramref name="process"/> accepts TCP connections on <paramref name="port"/>, failing if it exits first.</summary>
    public static Task WaitUntilListeningAsync(Process process, int port, Func<string> log, TimeSpan timeout) =>
        Deadline.UntilAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"{process.StartInfo.FileName} exited with {process.ExitCode}:\n{log()}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException) { return false; }
        }, $"{process.StartInfo.FileName} listening on {port}", timeout);

    /// <summary>kill -9: no shutdown code runs, files are left as the crash left them.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync(Deadline.Token());
    }

    /// <summary>SIGTERM: the host stops cleanly (the hub commits and checkpoints, a gateway says offline).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var term = Process.Start("kill", ["-TERM", Number(_process.Id)]))
            await term.WaitForExitAsync(Deadline.Token());
        await _process.WaitForExitAsync(Deadline.Token());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }

    /// <summary>
    /// The project's own output (all its dependencies are there), else next to the test assembly. The copy beside the
    /// tests may lack some: since the tests reference an ASP.NET Core project, packages such as
    /// Microsoft.Extensions.Hosting come from the shared framework there and are not copied, which a host without it needs.
    /// </summary>
    private static string LocateDll(string name, string project)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Debug"; // bin/<configuration>/<tfm>/
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var output = Path.Combine(dir.FullName, project, "bin");
            if (!Directory.Exists(output)) continue;
            var found = Directory.GetFiles(output, name, SearchOption.AllDirectories)
                .OrderByDescending(f => f.Contains($"{Path.DirectorySeparatorChar}{configuration}{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .ThenByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
            if (found is not null) return found;
        }
        var beside = Path.Combine(AppContext.BaseDirectory, name);
        if (File.Exists(beside)) return beside;
        throw new FileNotFoundException($"{name} not found; build the solution first");
    }
}
