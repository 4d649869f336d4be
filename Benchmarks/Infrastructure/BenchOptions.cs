namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>The command line: <c>[--quick] [--only name[,name]] [--broker host|mosquitto|both] [--out file] [--list]</c>.</summary>
public sealed class BenchOptions
{
    /// <summary>A few hundred operations per figure: checks that everything runs (CI), not how fast.</summary>
    public bool Quick { get; init; }
    /// <summary>Scenarios to run; empty runs them all.</summary>
    public IReadOnlyList<string> Only { get; init; } = [];
    /// <summary>Brokers to measure on.</summary>
    public IReadOnlyList<BrokerKind> Brokers { get; init; } = [BrokerKind.BrokerHost, BrokerKind.Mosquitto];
    /// <summary>Where the table goes (markdown); null: only the console.</summary>
    public string? Output { get; init; }
    /// <summary>List the scenarios and exit.</summary>
    public bool List { get; init; }

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a usage text when they are wrong.</summary>
    public static BenchOptions Parse(string[] args, string defaultOutput)
    {
        bool quick = false, list = false;
        List<string> only = [];
        IReadOnlyList<BrokerKind> brokers = [BrokerKind.BrokerHost, BrokerKind.Mosquitto];
        string? output = defaultOutput;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--list": list = true; break;
                case "--only": only.AddRange(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                case "--broker":
                    brokers = Next() switch
                    {
                        "host" => [BrokerKind.BrokerHost],
                        "mosquitto" => [BrokerKind.Mosquitto],
                        "both" => [BrokerKind.BrokerHost, BrokerKind.Mosquitto],
                        var other => throw new ArgumentException($"unknown broker '{other}'\n{Usage}"),
                    };
                    break;
                case "--out": output = Next(); break;
                case "--no-out": output = null; break;
                case "-h" or "--help": throw new ArgumentException(Usage);
                default: throw new ArgumentException($"unknown argument '{args[i]}'\n{Usage}");
            }
        }
        return new BenchOptions { Quick = quick, Only = only, Brokers = brokers, Output = output, List = list };
    }

    /// <summary>The usage text.</summary>
    public const string Usage = """
        usage: dotnet run -c Release --project Benchmarks -- [options]
          --quick              a few hundred operations per figure (CI: checks the benchmarks run; seconds)
          --only a,b           run only these scenarios (--list names them)
          --broker host|mosquitto|both   brokers to measure on (default both)
          --out FILE           where the markdown table goes (default BENCHMARKS.md at the repository root; with --quick, none)
          --no-out             print only
          --list               list the scenarios
        """;
}
