namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// A real Mosquitto (Debian's package) started from the repository's mosquitto.conf, changing only what must
/// differ per test: the listener's port, the persistence folder and the password file (test users, password
/// <see cref="Password"/>), the ACL (the repository's own <c>auth/acl</c> with a block per test station, <see cref="TestAcl"/>)
/// and in place of <c>include_dir auth/conf.d</c> the TLS listener of <c>auth/tls.conf</c> on its own port.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    public const string Password = "test";

    private readonly ChildProcess _process;
    private readonly string _dataDirectory;

    private MosquittoBroker(ChildProcess process, string dataDirectory)
    {
        _process = process;
        _dataDirectory = dataDirectory;
    }

    /// <summary>What Mosquitto printed, for failure messages.</summary>
    public string Log => _process.Output;

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Writes the configuration and password file into <paramref name="directory"/>, starts Mosquitto and waits until it accepts connections.</summary>
    /// <param name="autosaveInterval">Overrides the file's autosave_interval (seconds between saves of the persistence file).</param>
    public static async Task<MosquittoBroker> StartAsync(int port, string directory, IEnumerable<string> users, int tlsPort = 0, int? autosaveInterval = null,
        bool requireClientCertificate = false)
    {
        Directory.CreateDirectory(directory);
        if (tlsPort == 0) tlsPort = FreePort.Next();
        var certificates = await DevelopmentCertificates.EnsureAsync();
        var data = Path.Combine(directory, "data") + "/";
        Directory.CreateDirectory(data);
        var passwd = Path.Combine(directory, "passwd");
        var list = users.ToList();
        await WritePasswordFileAsync(passwd, list);
        var acl = await TestAcl.WriteAsync(Path.Combine(directory, "acl"), list);
        return await LaunchAsync(directory, port, data, Configuration(port, tlsPort, data, passwd, certificates, autosaveInterval, requireClientCertificate, acl));
    }

    /// <summary>
    /// A Mosquitto as a third-party client meets it out of the box, for protocol tests that run on both brokers: one
    /// plain listener on 127.0.0.1, anonymous clients, no ACL, no persistence file.
    /// </summary>
    public static Task<MosquittoBroker> StartOpenAsync(int port, string directory)
    {
        Directory.CreateDirectory(directory);
        var config = $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nmax_queued_messages 100000\n"
            + $"log_dest stdout\nlog_type error\nlog_type warning\nuser {Environment.UserName}\n";
        return LaunchAsync(directory, port, directory, config);
    }

    private static async Task<MosquittoBroker> LaunchAsync(string directory, int port, string data, string configuration)
    {
        var config = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, configuration);
        return await StartAsIsAsync(RepositoryRoot, config, port, data);
    }

    /// <summary>
    /// <c>mosquitto -c <paramref name="configFile"/></c> in <paramref name="workingDirectory"/>, the file as it is; waits until
    /// <paramref name="port"/> accepts connections. <paramref name="dataDirectory"/> is where the file keeps its persistence.
    /// </summary>
    public static async Task<MosquittoBroker> StartAsIsAsync(string workingDirectory, string configFile, int port, string dataDirectory)
    {
        var process = ChildProcess.Start("mosquitto", ["-c", configFile], workingDirectory);
        var broker = new MosquittoBroker(process, dataDirectory);
        try
        {
            // Mosquitto says nothing machine-readable when it is ready: the listening socket is the signal.
            await process.WaitForPortAsync(port, TimeSpan.FromSeconds(10));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
        return broker;
    }

    /// <summary>
    /// The repository's mosquitto.conf with this instance's port, folder, password file and ACL, its TLS listener
    /// (auth/tls.conf, which auth/make-dev-certs.sh enables through auth/conf.d/) included with this instance's certificates; with
    /// <paramref name="requireClientCertificate"/>, the TLS listener also asks clients for a certificate from the CA, as the file's comment says.
    /// </summary>
    public static string Configuration(int port, int tlsPort, string dataDirectory, string passwordFile, string certificates, int? autosaveInterval = null,
        bool requireClientCertificate = false, string? aclFile = null)
    {
        int listeners = 0;
        var tls = File.ReadAllLines(Path.Combine(RepositoryRoot, "auth", "tls.conf"));
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot, "mosquitto.conf"))
            .SelectMany(line => line.StartsWith("include_dir ", StringComparison.Ordinal) ? tls : [line]).Select(line => line.Split(' ')[0] switch
        {
            // The first listener is plain MQTT (mosquitto.conf's), the second TLS (auth/tls.conf's).
            "listener" => $"listener {(listeners++ == 0 ? port : tlsPort)} 127.0.0.1",
            "cafile" => $"cafile {Path.Combine(certificates, "ca.crt")}",
            "certfile" => $"certfile {Path.Combine(certificates, "server.crt")}",
            "keyfile" => $"keyfile {Path.Combine(certificates, "server.key")}" + (requireClientCertificate ? "\nrequire_certificate true" : ""),
            "persistence_location" => $"persistence_location {dataDirectory}",
            "password_file" => $"password_file {passwordFile}",
            "acl_file" => $"acl_file {aclFile ?? Path.Combine(RepositoryRoot, line.Split(' ', 2)[1])}",
            "autosave_interval" when autosaveInterval is { } seconds => $"autosave_interval {seconds}",
            _ => line,
        }).ToList();
        // Run as root, Mosquitto drops to the "mosquitto" user, which cannot write the test's folder.
        lines.Add($"user {Environment.UserName}");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Asks Mosquitto to stop (SIGTERM: it saves its persistence file) and waits until it has (a kill after 10 s).</summary>
    public Task StopAsync() => _process.StopAsync(TimeSpan.FromSeconds(10));

    /// <summary>Kills Mosquitto at once (SIGKILL), as a crash would, and waits until it is gone.</summary>
    public Task KillAsync() => _process.KillAsync();

    /// <summary>Mosquitto's persistence file (written every autosave_interval and at a clean exit).</summary>
    public string PersistenceFile => Path.Combine(_dataDirectory, "mosquitto.db");

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    /// <summary>Writes a password file with the real mosquitto_passwd: every user gets <see cref="Password"/>.</summary>
    public static async Task WritePasswordFileAsync(string path, IEnumerable<string> users)
    {
        File.Delete(path);
        bool first = true;
        foreach (var user in users.Distinct(StringComparer.Ordinal))
        {
            string[] args = first ? ["-c", "-b", path, user, Password] : ["-b", path, user, Password];
            first = false;
            var tool = await Cli.RunAsync("mosquitto_passwd", args);
            if (tool.ExitCode != 0) throw new InvalidOperationException($"mosquitto_passwd failed for '{user}': {tool.Error}");
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MqttIoT.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (MqttIoT.sln) above " + AppContext.BaseDirectory);
    }
}
