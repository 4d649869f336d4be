namespace MqttIoT.Tests.Infrastructure;

/// <summary>A development CA and certificates made once per test run by the repository's auth/make-dev-certs.sh.</summary>
public static class DevelopmentCertificates
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static string? _folder;

    /// <summary>The folder holding ca.crt, server.crt/key and client.crt/key.</summary>
    public static async Task<string> EnsureAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (_folder is not null) return _folder;
            var folder = Path.Combine(Path.GetTempPath(), $"mqttiot-certs-{Environment.ProcessId}");
            var made = await Cli.RunAsync("bash", [Path.Combine(MosquittoBroker.RepositoryRoot, "auth", "make-dev-certs.sh"), folder], TimeSpan.FromSeconds(60));
            if (made.ExitCode != 0) throw new InvalidOperationException($"make-dev-certs.sh failed: {made.Error}");
            return _folder = folder;
        }
        finally { Once.Release(); }
    }

    /// <summary>A second, unrelated CA: what a client trusts when it must not trust our broker.</summary>
    public static async Task<string> OtherAuthorityAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"mqttiot-other-ca-{Environment.ProcessId}");
        var made = await Cli.RunAsync("bash", [Path.Combine(MosquittoBroker.RepositoryRoot, "auth", "make-dev-certs.sh"), folder], TimeSpan.FromSeconds(60));
        if (made.ExitCode != 0) throw new InvalidOperationException($"make-dev-certs.sh failed: {made.Error}");
        return Path.Combine(folder, "ca.crt");
    }
}
