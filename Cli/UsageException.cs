namespace MqttIoT.Cli;

/// <summary>The command line asks for something that cannot be done as written (exit code <see cref="ExitCodes.Usage"/>).</summary>
public sealed class UsageException(string message) : Exception(message);
