using System.Collections.Concurrent;
using System.Diagnostics;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// The hub host (MqttIoT.HubService.dll, built by the solution build and copied next to the tests) run as a child
/// process, so a test can kill it the hard way (SIGKILL) or stop it the way a service manager does (SIGTERM).
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HubProcess(Process process) => _process = process;

    public ConcurrentQueue<string> Output { get; } = new();

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static HubProcess Start(int port, string dataDirectory, params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in (string[])[LocateDll(), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", dataDirectory, .. extra])
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the hub process");
        var hub = new HubProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) hub.Output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) hub.Output.Enqueue("ERR " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return hub;
    }

    /// <summary>kill -9: no shutdown code runs, LiteDB is left as the crash left it.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync(Deadline.Token());
    }

    /// <summary>SIGTERM: the host stops the hub cleanly (commit, checkpoint, disconnect).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await term.WaitForExitAsync(Deadline.Token());
        await _process.WaitForExitAsync(Deadline.Token());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }

    /// <summary>Next to the test assembly (the project reference copies it), else the hub project's own output.</summary>
    private static string LocateDll()
    {
        const string name = "MqttIoT.HubService.dll";
        var beside = Path.Combine(AppContext.BaseDirectory, name);
        if (File.Exists(beside)) return beside;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var project = Path.Combine(dir.FullName, "HubService", "bin");
            if (!Directory.Exists(project)) continue;
            var found = Directory.GetFiles(project, name, SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
            if (found is not null) return found;
        }
        throw new FileNotFoundException($"{name} not found; build the solution first");
    }
}
