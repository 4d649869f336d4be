namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// One figure beside its baseline, measured in the same run on the same broker. <see cref="Ratio"/> is figure over
/// baseline; <see cref="Target"/> says what it should be and <see cref="Met"/> whether it is.
/// </summary>
public sealed record ResultRow(string Scenario, string Figure, string Broker, double Value, double? Baseline, string Unit, string Target, bool? Met,
    string Note = "")
{
    /// <summary>Figure over baseline, when there is a baseline.</summary>
    public double? Ratio => Baseline is > 0 ? Value / Baseline : null;
}
