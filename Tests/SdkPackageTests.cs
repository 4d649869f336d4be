using MqttIoT.Sdk;
using System.IO.Compression;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests;

/// <summary>The Sdk as a NuGet package: packed with its README, XML docs and version, installed from a folder feed into a fresh project that talks to a running gateway.</summary>
public class SdkPackageTests
{
    /// <summary>The Sdk's public types: the client and what its calls take and return.</summary>
    private static readonly string[] SdkSurface =
    [
        "MqttIoT.Sdk.BulkResult", "MqttIoT.Sdk.BulkSummary", "MqttIoT.Sdk.DeviceEvent", "MqttIoT.Sdk.DeviceState", "MqttIoT.Sdk.EventPage",
        "MqttIoT.Sdk.EventSubscription`1", "MqttIoT.Sdk.HubFilter", "MqttIoT.Sdk.IoTHubClient", "MqttIoT.Sdk.IoTHubClientOptions", "MqttIoT.Sdk.IoTHubClientProvider",
        "MqttIoT.Sdk.IoTHubClientServiceCollectionExtensions", "MqttIoT.Sdk.RemoteDevice", "MqttIoT.Sdk.RemoteStation",
        "MqttIoT.Sdk.StationEvent", "MqttIoT.Sdk.StationState",
    ];

    private static List<string> PublicTypes(byte[] assembly)
    {
        using var pe = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(assembly));
        var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        return metadata.TypeDefinitions.Select(metadata.GetTypeDefinition)
            .Where(t => (t.Attributes & System.Reflection.TypeAttributes.VisibilityMask) == System.Reflection.TypeAttributes.Public)
            .Select(t => $"{metadata.GetString(t.Namespace)}.{metadata.GetString(t.Name)}").ToList();
    }

    [Fact]
    public void No_public_member_of_the_sdk_exposes_the_protocol_core_or_mqttnet()
    {
        var leaks = new List<string>();
        foreach (var type in typeof(IoTHubClient).Assembly.GetExportedTypes())
        {
            var flags = System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(flags))
            {
                IEnumerable<Type> used = member switch
                {
                    System.Reflection.MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType),
                    System.Reflection.PropertyInfo p => [p.PropertyType],
                    System.Reflection.FieldInfo f => [f.FieldType],
                    System.Reflection.ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType),
                    System.Reflection.EventInfo e => [e.EventHandlerType!],
                    _ => [],
                };
                foreach (var t in used.SelectMany(Flatten))
                    if (t.Assembly.GetName().Name is "MqttIoT.Protocol" or "MQTTnet") leaks.Add($"{type.Name}.{member.Name}: {t.FullName}");
            }
        }
        leaks.Should().BeEmpty();

        static IEnumerable<Type> Flatten(Type t) => t.IsGenericType
            ? t.GetGenericArguments().SelectMany(Flatten).Append(t)
            : t.HasElementType ? Flatten(t.GetElementType()!) : [t];
    }

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

            var head = (await Cli.RunAsync("git", ["rev-parse", "HEAD"], TimeSpan.FromSeconds(30), MosquittoBroker.RepositoryRoot)).Output.Trim();
            var package = Path.Combine(feed, $"MqttIoT.Sdk.{version}.nupkg");
            using (var zip = ZipFile.OpenRead(package))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                entries.Should().Contain("README.md").And.Contain("CHANGELOG.md").And.Contain("topics.md")
                    .And.Contain("lib/net10.0/MqttIoT.Sdk.dll").And.Contain("lib/net10.0/MqttIoT.Sdk.xml");
                using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                var text = await nuspec.ReadToEndAsync();
                text.Should().Contain($"<version>{version}</version>").And.Contain("<readme>README.md</readme>").And.Contain("MqttIoT.Protocol")
                    .And.Contain("<license type=\"expression\">MIT</license>").And.Contain("<releaseNotes>")
                    .And.Contain($"commit=\"{head}\"", "SourceLink records the commit the package was built from");
                using var dll = new MemoryStream();
                await using (var entry = zip.GetEntry("lib/net10.0/MqttIoT.Sdk.dll")!.Open()) await entry.CopyToAsync(dll);
                PublicTypes(dll.ToArray()).Should().BeEquivalentTo(SdkSurface,
                    "the packed Sdk exposes what a client needs and nothing of the servers' plumbing (a new public type is a decision: add it here)");
            }
            // Symbols: a .snupkg beside the package, with the Sdk's portable PDB.
            using (var symbols = ZipFile.OpenRead(Path.Combine(feed, $"MqttIoT.Sdk.{version}.snupkg")))
                symbols.Entries.Select(e => e.FullName).Should().Contain("lib/net10.0/MqttIoT.Sdk.pdb");

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
