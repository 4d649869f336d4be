using System.CommandLine;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Cli;

/// <summary>What a command's action gets: the parsed line, the client (connected on first use, so that a command line that is
/// wrong is told so before any broker is looked for), the output and the request deadline.</summary>
public sealed class CommandContext(ParseResult parse, Func<CancellationToken, Task<IoTHubClient>> connect, Output output, TimeSpan timeout)
{
    private Task<IoTHubClient>? _client;

    /// <summary>The parsed command line.</summary>
    public ParseResult Parse { get; } = parse;
    /// <summary>Where results go.</summary>
    public Output Output { get; } = output;
    /// <summary>Each request's deadline.</summary>
    public TimeSpan Timeout { get; } = timeout;

    /// <summary>The client, connected on the first call.</summary>
    public Task<IoTHubClient> ClientAsync(CancellationToken cancellationToken) => _client ??= connect(cancellationToken);

    internal async ValueTask DisposeClientAsync()
    {
        if (_client is { IsCompletedSuccessfully: true }) await (await _client).DisposeAsync();
    }
}

/// <summary>
/// Runs a command's action: connects to the broker within --connect-timeout, and turns every way it can fail into a
/// message on stderr and the documented exit code (<see cref="ExitCodes"/>). The one place errors become exit codes.
/// </summary>
public sealed class CommandRunner(GlobalOptions global)
{
    /// <summary>Sets <paramref name="command"/>'s action to <paramref name="action"/>, run with a connected client.</summary>
    public void Bind(Command command, Func<CommandContext, CancellationToken, Task<int>> action) =>
        command.SetAction((parse, ct) => RunAsync(parse, action, ct));

    private async Task<int> RunAsync(ParseResult parse, Func<CommandContext, CancellationToken, Task<int>> action, CancellationToken cancellationToken)
    {
        var output = new Output(parse.GetValue(global.Output) == "json");
        try
        {
            var options = global.ClientOptions(parse);
            var context = new CommandContext(parse, ct => ConnectAsync(options, TimeSpan.FromSeconds(parse.GetValue(global.ConnectTimeout)), ct),
                output, options.DefaultTimeout);
            try { return await action(context, cancellationToken); }
            finally { await context.DisposeClientAsync(); }
        }
        catch (IoTException ex)
        {
            Output.Message($"error: {WireName<ErrorCode>.Of(ex.Code)}: {ex.Message}");
            return ExitCodes.For(ex.Code);
        }
        catch (BrokerUnreachableException ex)
        {
            Output.Message($"error: {ex.Message}");
            return ExitCodes.BrokerUnreachable;
        }
        catch (Exception ex) when (ex is UsageException or ArgumentException or FormatException)
        {
            Output.Message($"error: {ex.Message} (see mqttiot --help)");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Output.Message("interrupted");
            return ExitCodes.Interrupted;
        }
    }

    private static async Task<IoTHubClient> ConnectAsync(IoTHubClientOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await IoTHubClient.ConnectAsync(options, cancellationToken: deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BrokerUnreachableException($"no answer from the broker at {options.Host}:{options.Port} within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ArgumentException)
        {
            // Whatever the transport says (refused, reset, TLS, bad credentials) means the same thing to the person: no broker here.
            throw new BrokerUnreachableException($"cannot connect to the broker at {options.Host}:{options.Port}: {ex.GetBaseException().Message}");
        }
    }
}

/// <summary>The broker did not accept the connection (exit code <see cref="ExitCodes.BrokerUnreachable"/>).</summary>
public sealed class BrokerUnreachableException(string message) : Exception(message);
