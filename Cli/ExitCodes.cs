using MqttIoT.Sdk.Contract;

namespace MqttIoT.Cli;

/// <summary>
/// The exit codes of mqttiot, documented in Cli/README.md ("Exit codes"). Each wire error code has its own, written out
/// here rather than derived from the enum's order, so a new code in the contract never renumbers the old ones.
/// </summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;
    /// <summary>An unexpected failure of mqttiot itself.</summary>
    public const int Failure = 1;
    /// <summary>The command line is wrong: an unknown command or flag, a missing argument, a filter or body that is not JSON.</summary>
    public const int Usage = 2;
    /// <summary>The broker cannot be reached (down, wrong port, refused credentials, TLS failure) within --connect-timeout.</summary>
    public const int BrokerUnreachable = 3;
    /// <summary>A bulk request (--where) in which some devices failed; each device's code is in the output.</summary>
    public const int PartialFailure = 4;
    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code of a wire error code: 10 and up.</summary>
    public static int For(ErrorCode code) => code switch
    {
        ErrorCode.BadRequest => 10,
        ErrorCode.Unsupported => 11,
        ErrorCode.UnknownStation => 12,
        ErrorCode.UnknownDevice => 13,
        ErrorCode.UnknownKey => 14,
        ErrorCode.NotConnected => 15,
        ErrorCode.InvalidState => 16,
        ErrorCode.DeadlineExceeded => 17,
        ErrorCode.BackendFailure => 18,
        ErrorCode.Busy => 19,
        ErrorCode.Unavailable => 20,
        ErrorCode.Internal => 21,
        _ => Failure,
    };
}
