namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>The targets, as checks on a figure and its baseline.</summary>
public static class Target
{
    /// <summary>Latency: at most <paramref name="factor"/> times the baseline.</summary>
    public static (string Text, bool? Met) AtMostTimes(double value, double baseline, double factor) =>
        ($"<= {factor:0.##}x", baseline > 0 && value <= baseline * factor);

    /// <summary>Throughput: at least <paramref name="factor"/> times the baseline.</summary>
    public static (string Text, bool? Met) AtLeastTimes(double value, double baseline, double factor) =>
        ($">= {factor:0.##}x", baseline > 0 && value >= baseline * factor);

    /// <summary>An absolute upper bound.</summary>
    public static (string Text, bool? Met) Under(double value, double limit, string unit) => ($"< {limit:0.##} {unit}", value < limit);

    /// <summary>No target: the figure is reported.</summary>
    public static (string Text, bool? Met) None => ("", null);
}
