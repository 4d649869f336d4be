using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.OpcUa.Testing;

/// <summary>
/// The node-opcua test server (Tests/opcua-server/server.js) as a child process on a free loopback port. The
/// first use in a process runs install.sh (idempotent, and locked against other test processes doing the same);
/// start waits for the server's READY line with a deadline; stop kills it; restart brings it back on the same port.
/// Shared by the client tests and the gateway's end-to-end tests.
/// </summary>
public sealed class OpcUaTestServer : IAsyncDisposable
{
    private static readonly TimeSpan InstallDeadline = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(45);
    private static readonly Lazy<Task> Installed = new(InstallAsync);
    private readonly string[] _arguments;
    private ChildProcess? _process;

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
        var server = new OpcUaTestServer(FreePort.Next(), arguments);
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Kills the server (as a crash would: no goodbye to clients).</summary>
    public async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        await process.KillAsync(entireProcessTree: true);
        await process.DisposeAsync();
    }

    /// <summary>Starts the server again on the same port.</summary>
    public Task RestartAsync() => StartProcessAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StartProcessAsync()
    {
        if (IsRunning) throw new InvalidOperationException("the test server is already running");
        // The server exits when its stdin closes, so a test host that dies takes it along.
        _process = ChildProcess.Start("node", ["server.js", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. _arguments], Folder, keepStandardInput: true);
        try
        {
            await _process.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), "the OPC UA test server is ready", StartDeadline);
        }
        catch
        {
            await StopAsync();
            throw;
        }
    }

    private static async Task InstallAsync()
    {
        var installed = await Cli.RunAsync("bash", [Path.Combine(Folder, "install.sh")], InstallDeadline);
        if (installed.ExitCode != 0)
            throw new InvalidOperationException($"install.sh failed ({installed.ExitCode}):\n{installed.Output}\n{installed.Error}");
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
}
