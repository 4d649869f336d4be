namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// Mosquitto started from one of the shipped deployment files (deploy/site/mosquitto.conf, deploy/cloud/mosquitto.conf)
/// with only what differs on a test machine changed: listener ports, the bridge's address (the cloud's TLS port on
/// loopback), certificate paths (the development certificates), the persistence folder, and for a second site the
/// site's bridge user (<paramref name="site"/>). Password files and ACLs are the shipped ones (password mqttiot-dev).
/// </summary>
public static class DeployedBroker
{
    public const string Password = "mqttiot-dev";

    public static async Task<MosquittoBroker> StartAsync(string file, string directory, int port, int tlsPort = 0, int cloudTlsPort = 0, string? site = null)
    {
        Directory.CreateDirectory(directory);
        var certificates = await DevelopmentCertificates.EnsureAsync();
        var data = Path.Combine(directory, "data") + "/";
        Directory.CreateDirectory(data);
        var root = MosquittoBroker.RepositoryRoot;
        var lines = (await File.ReadAllLinesAsync(Path.Combine(root, file))).Select(line =>
        {
            var words = line.Split(' ');
            return words[0] switch
            {
                "listener" when words[1] == "1883" => $"listener {port} 127.0.0.1",
                "listener" when words[1] == "8883" => $"listener {tlsPort} 127.0.0.1",
                "address" => $"address 127.0.0.1:{cloudTlsPort}",
                "cafile" or "certfile" or "keyfile" or "bridge_cafile" => $"{words[0]} {Path.Combine(certificates, Path.GetFileName(words[1]))}",
                "persistence_location" => $"persistence_location {data}",
                "password_file" or "acl_file" => $"{words[0]} {Path.Combine(root, words[1])}",
                "remote_username" or "remote_clientid" or "local_clientid" when site is not null => line.Replace("site-a", site, StringComparison.Ordinal),
                _ => line,
            };
        }).ToList();
        // Run as root, Mosquitto drops to the "mosquitto" user, which cannot write the test's folder.
        lines.Add($"user {Environment.UserName}");
        var config = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllLinesAsync(config, lines);
        return await MosquittoBroker.StartAsIsAsync(root, config, port, data);
    }
}
