using System.Globalization;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// A broker under test, started as a child process on a free loopback port, anonymous: the broker host from its
/// Release build (<c>Broker/bin/Release/net10.0/MqttIoT.Broker.dll</c>), or Mosquitto from a configuration derived
/// from the repository's <c>mosquitto.conf</c> (same <c>set_tcp_nodelay</c> and queue limits; port, persistence
/// folder and anonymous access changed, no password or ACL file).
/// </summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;

    private BrokerProcess(BrokerKind kind, int port, ChildProcess process, string directory)
    {
        Kind = kind;
        Port = port;
        _process = process;
        _directory = directory;
    }

    /// <summary>Which broker.</summary>
    public BrokerKind Kind { get; }

    /// <summary>Its loopback port.</summary>
    public int Port { get; }

    /// <summary>The process.</summary>
    public ChildProcess Process => _process;

    /// <summary>Short name for tables.</summary>
    public string Name => NameOf(Kind);

    /// <summary>Short name of a broker kind for tables.</summary>
    public static string NameOf(BrokerKind kind) => kind == BrokerKind.BrokerHost ? "broker host" : "mosquitto";

    /// <summary>Starts a broker and waits until it accepts connections.</summary>
    public static async Task<BrokerProcess> StartAsync(BrokerKind kind, string repositoryRoot, string scratch)
    {
        var port = FreePort.Next();
        var directory = Path.Combine(scratch, $"{kind}-{port}");
        Directory.CreateDirectory(directory);
        ChildProcess process;
        if (kind == BrokerKind.BrokerHost)
        {
            var dll = Path.Combine(repositoryRoot, "Broker", "bin", "Release", "net10.0", "MqttIoT.Broker.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"build the broker host in Release first ({dll})");
            process = ChildProcess.Start("dotnet", [dll, "--port", port.ToString(CultureInfo.InvariantCulture), "--data", Path.Combine(directory, "data")],
                directory, new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });
        }
        else
        {
            var config = Path.Combine(directory, "mosquitto.conf");
            await File.WriteAllTextAsync(config, MosquittoConfiguration(repositoryRoot, port, Path.Combine(directory, "data") + "/"));
            Directory.CreateDirectory(Path.Combine(directory, "data"));
            process = ChildProcess.Start("mosquitto", ["-c", config], directory);
        }
        try
        {
            await process.WaitForPortAsync(port, TimeSpan.FromSeconds(20));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
        return new BrokerProcess(kind, port, process, directory);
    }

    /// <summary>
    /// The repository's mosquitto.conf for a benchmark: its port and persistence folder, anonymous, without the
    /// password and ACL files; everything else (set_tcp_nodelay, max_queued_messages...) as the repository has it.
    /// </summary>
    public static string MosquittoConfiguration(string repositoryRoot, int port, string dataDirectory)
    {
        var lines = new List<string>();
        bool plainListenerDone = false;
        foreach (var line in File.ReadAllLines(Path.Combine(repositoryRoot, "mosquitto.conf")))
        {
            switch (line.Split(' ')[0])
            {
                // The first listener is the plain one the benchmarks use; the TLS one (and its certificates) stays out.
                case "listener" when !plainListenerDone: lines.Add($"listener {port} 127.0.0.1"); plainListenerDone = true; break;
                case "listener" or "cafile" or "certfile" or "keyfile": lines.Add("# " + line + " (benchmarks use the plain listener)"); break;
                case "persistence_location": lines.Add($"persistence_location {dataDirectory}"); break;
                case "allow_anonymous": lines.Add("allow_anonymous true"); break;
                case "password_file" or "acl_file": lines.Add("# " + line + " (benchmarks run anonymous)"); break;
                // auth/conf.d holds the TLS listener once auth/make-dev-certs.sh has run: benchmarks use the plain one only.
                case "include_dir": lines.Add("# " + line + " (benchmarks use the plain listener)"); break;
                default: lines.Add(line); break;
            }
        }
        if (!lines.Contains("set_tcp_nodelay true")) throw new InvalidOperationException("mosquitto.conf lost set_tcp_nodelay true");
        // Run as root, Mosquitto drops to the "mosquitto" user, which cannot write the benchmark's folder.
        lines.Add($"user {Environment.UserName}");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Stops the broker and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
