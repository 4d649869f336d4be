using MqttIoT.Benchmarks.Infrastructure;

namespace MqttIoT.Benchmarks.Scenarios;

/// <summary>
/// One benchmark scenario: it starts what it needs (brokers, gateways, clients), measures each figure beside its
/// baseline on each broker of <see cref="BenchContext.Options"/>, adds rows, and stops everything it started.
/// Every load loop is bounded by a count and a time limit.
/// </summary>
public interface IScenario
{
    /// <summary>The name for <c>--only</c>.</summary>
    string Name { get; }

    /// <summary>What it measures, one line.</summary>
    string Title { get; }

    /// <summary>Runs the scenario.</summary>
    Task RunAsync(BenchContext context, CancellationToken cancellationToken);
}
