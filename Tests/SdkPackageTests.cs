using System.IO.Compression;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>The Sdk as a NuGet package: packed with its README, XML docs and version, installed from a folder feed into a fresh project that talks to a running gateway.</summary>
public class SdkPackageTests
{
    [Fact]
    public async Task A_fresh_project_installs_the_packed_sdk_and_reads_a_device()
    {
        await using var env = await TestEnvironment.StartAsync();
        var work = Directory.CreateTempSubdirectory("mqttiot-pack-").FullName;
        try
        {
            // A version of its own, so no copy cached by an earlier run is used instead.
            var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
            var feed = Path.Combine(work, "feed");
            // The Sdk's package depends on the contract's and the protocol core's, packed with the same version.
            foreach (var project in new[] { "Contract/MqttIoT.Sdk.Contract.csproj", "Protocol/MqttIoT.Protocol.csproj", "Sdk/MqttIoT.Sdk.csproj" })
            {
                var pack = await Cli.RunAsync("dotnet", ["pack", Path.Combine(MosquittoBroker.RepositoryRoot, project),
                    "-c", "Release", "-o", feed, $"-p:Version={version}", "-nologo"], TimeSpan.FromMinutes(3));
                pack.ExitCode.Should().Be(0, pack.Output + pack.Error);
            }

            var package = Path.Combine(feed, $"MqttIoT.Sdk.{version}.nupkg");
            using (var zip = ZipFile.OpenRead(package))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                entries.Should().Contain("README.md").And.Contain("lib/net10.0/MqttIoT.Sdk.dll").And.Contain("lib/net10.0/MqttIoT.Sdk.xml");
                using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                var text = await nuspec.ReadToEndAsync();
                text.Should().Contain($"<version>{version}</version>").And.Contain("<readme>README.md</readme>").And.Contain("MqttIoT.Protocol").And.Contain("MqttIoT.Sdk.Contract");
            }

            var app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <configuration>
                  <packageSources>
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="MqttIoT.Sdk" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
                using MqttIoT.Sdk;
                var options = new IoTHubClientOptions { Host = "127.0.0.1", Port = int.Parse(args[0]) };
                if (args.Length > 2) { options.Username = args[1]; options.Password = args[2]; }
                await using var hub = await IoTHubClient.ConnectAsync(options);
                var ids = await hub.GetStation("sim-1").ListConnectedDevicesAsync();
                var value = await hub.GetDevice("sim-1", ids[0]).ReadValueAsync("setpoint");
                Console.WriteLine($"{ids.Count} devices; setpoint={System.Text.Encoding.UTF8.GetString(value)}");
                """);
            List<string> args = ["run", "--project", app, "--", env.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            if (env.ClientCredentials.User is { } user) args.AddRange([user, env.ClientCredentials.Password!]);
            var run = await Cli.RunAsync("dotnet", args, TimeSpan.FromMinutes(3), app);
            run.ExitCode.Should().Be(0, run.Output + run.Error);
            run.Output.Should().Contain("3 devices; setpoint=20.0");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }
}
