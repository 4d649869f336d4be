using System.CommandLine;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Cli.Commands;

/// <summary>The device requests: <c>read</c>, <c>write</c>, <c>notify</c>, <c>time</c> and <c>reset</c>, each to one device or, with --where, to many.</summary>
public static class DeviceCommands
{
    private const string DeviceHelp = "station/device, or a device id alone (the hub locates it); leave out with --where";

    /// <summary>Adds the device commands to the root.</summary>
    public static void AddTo(RootCommand root, CommandRunner runner)
    {
        root.Subcommands.Add(Read(runner));
        root.Subcommands.Add(Write(runner));
        root.Subcommands.Add(Notify(runner));
        root.Subcommands.Add(Time(runner));
        root.Subcommands.Add(Reset(runner));
    }

    private static Argument<string?> DeviceArgument() => new("DEVICE") { Description = DeviceHelp, Arity = ArgumentArity.ZeroOrOne };
    private static Argument<string?> KeyArgument() => new("KEY") { Description = "The key (temperature, setpoint...)", Arity = ArgumentArity.ZeroOrOne };

    private static Command Read(CommandRunner runner)
    {
        var (device, key, sender) = (DeviceArgument(), KeyArgument(), new RequestSender());
        var command = new Command("read", "Reads the value under a key") { device, key };
        sender.AddTo(command);
        runner.Bind(command, (ctx, ct) =>
        {
            var (d, k) = sender.Targets(ctx.Parse, device, key);
            return sender.SendAsync(ctx, d, DeviceRequestType.ReadValue, new RequestBody { Key = k }, ct);
        });
        return command;
    }

    private static Command Write(CommandRunner runner)
    {
        var (device, key, sender) = (DeviceArgument(), KeyArgument(), new RequestSender());
        var text = new Option<string?>("--text") { Description = "The value as UTF-8 text" };
        var hex = new Option<string?>("--hex") { Description = "The value as hex bytes (0a1b...)" };
        var command = new Command("write", "Writes a value under a key (--text or --hex)") { device, key, text, hex };
        sender.AddTo(command);
        runner.Bind(command, (ctx, ct) =>
        {
            var (d, k) = sender.Targets(ctx.Parse, device, key);
            var body = (ctx.Parse.GetValue(text), ctx.Parse.GetValue(hex)) switch
            {
                ({ } t, null) => new RequestBody { Key = k, Text = t, WithResponse = true },
                (null, { } h) when ValueCodec.TryFromHex(h, out _) => new RequestBody { Key = k, Value = h.ToLowerInvariant(), WithResponse = true },
                (null, { } h) => throw new UsageException($"--hex '{h}' is not hex bytes"),
                _ => throw new UsageException("give the value with --text or --hex (one of them)"),
            };
            return sender.SendAsync(ctx, d, DeviceRequestType.WriteValue, body, ct);
        });
        return command;
    }

    private static Command Notify(CommandRunner runner)
    {
        var (device, key, sender) = (DeviceArgument(), KeyArgument(), new RequestSender());
        var state = new Argument<string>("on|off") { Description = "on starts notifications of the key, off stops them" };
        state.AcceptOnlyFromAmong("on", "off");
        var command = new Command("notify", "Turns notifications of a key on or off") { state, device, key };
        sender.AddTo(command);
        runner.Bind(command, (ctx, ct) =>
        {
            var (d, k) = sender.Targets(ctx.Parse, device, key);
            var type = ctx.Parse.GetValue(state) == "on" ? DeviceRequestType.StartNotify : DeviceRequestType.StopNotify;
            return sender.SendAsync(ctx, d, type, new RequestBody { Key = k }, ct);
        });
        return command;
    }

    private static Command Time(CommandRunner runner)
    {
        var (device, sender) = (DeviceArgument(), new RequestSender());
        var action = new Argument<string>("set|sync") { Description = "set: set the device's clock to the gateway's; sync: compare them" };
        action.AcceptOnlyFromAmong("set", "sync");
        var command = new Command("time", "Sets or compares a device's clock") { action, device };
        sender.AddTo(command);
        runner.Bind(command, (ctx, ct) =>
        {
            var (d, _) = sender.Targets(ctx.Parse, device, null);
            var type = ctx.Parse.GetValue(action) == "set" ? DeviceRequestType.SetTime : DeviceRequestType.SyncTime;
            return sender.SendAsync(ctx, d, type, null, ct);
        });
        return command;
    }

    private static Command Reset(CommandRunner runner)
    {
        var (device, sender) = (DeviceArgument(), new RequestSender());
        var command = new Command("reset", "Resets a device to its defaults") { device };
        sender.AddTo(command);
        runner.Bind(command, (ctx, ct) =>
        {
            var (d, _) = sender.Targets(ctx.Parse, device, null);
            return sender.SendAsync(ctx, d, DeviceRequestType.Reset, null, ct);
        });
        return command;
    }
}
