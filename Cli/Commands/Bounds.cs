using System.CommandLine;

namespace MqttIoT.Cli.Commands;

/// <summary>--count and --seconds: how a live command (events, watch) ends by itself, for scripts. Without them it runs until Ctrl+C.</summary>
public sealed class Bounds
{
    /// <summary>Stop after this many events.</summary>
    public Option<int?> Count { get; } = new("--count", "-n") { Description = "Stop after this many events" };
    /// <summary>Stop after this many seconds.</summary>
    public Option<double?> Seconds { get; } = new("--seconds") { Description = "Stop after this many seconds (exit code 0)" };

    public Bounds()
    {
        Count.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--count must be 1 or more"); });
        Seconds.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is <= 0) r.AddError("--seconds must be positive"); });
    }

    /// <summary>Adds the options.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Count);
        command.Options.Add(Seconds);
    }

    /// <summary>A token that ends at --seconds (or never), linked to Ctrl+C.</summary>
    public CancellationTokenSource Deadline(ParseResult parse, CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (parse.GetValue(Seconds) is { } seconds) cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts;
    }
}
