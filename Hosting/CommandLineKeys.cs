using System.CommandLine;
using System.Globalization;

namespace MqttIoT.Hosting;

/// <summary>
/// Which configuration keys a host's flags set. The flags are the last configuration source, so a flag given wins
/// over appsettings.json and <c>MQTTIOT_</c> variables; a flag left out sets nothing, so its default never hides
/// what those say (the defaults live in the options classes and the host's defaults instead).
/// </summary>
public sealed class CommandLineKeys
{
    private readonly List<Func<ParseResult, IEnumerable<KeyValuePair<string, string?>>>> _maps = [];

    /// <summary>A given <paramref name="option"/> sets each of <paramref name="keys"/> to its value.</summary>
    public CommandLineKeys Map<T>(Option<T> option, params string[] keys) => Map(option, value => Format(value), keys);

    /// <summary>A given <paramref name="option"/> sets each of <paramref name="keys"/> to <paramref name="value"/> of its value (null: leaves the key alone).</summary>
    public CommandLineKeys Map<T>(Option<T> option, Func<T, string?> value, params string[] keys)
    {
        _maps.Add(parse =>
        {
            if (parse.GetResult(option) is not { Implicit: false }) return [];
            var text = value(parse.GetValue(option)!);
            return text is null ? [] : keys.Select(key => KeyValuePair.Create(key, (string?)text));
        });
        return this;
    }

    /// <summary>A given repeatable <paramref name="option"/> sets the list <paramref name="key"/> (<c>key:0</c>, <c>key:1</c>, ...) to its values.</summary>
    public CommandLineKeys MapEach(Option<string[]> option, string key)
    {
        ArgumentNullException.ThrowIfNull(option);
        _maps.Add(parse => parse.GetResult(option) is not { Implicit: false }
            ? []
            : (parse.GetValue(option) ?? []).Select((value, i) => KeyValuePair.Create($"{key}:{i.ToString(CultureInfo.InvariantCulture)}", (string?)value)));
        return this;
    }

    /// <summary>The keys the given flags set, in the order they were mapped (a later map of the same key wins).</summary>
    public IEnumerable<KeyValuePair<string, string?>> Values(ParseResult parse) => _maps.SelectMany(map => map(parse)).ToList();

    /// <summary>A whole number of seconds as a configuration TimeSpan.</summary>
    public static string Seconds(int seconds) => Format(TimeSpan.FromSeconds(seconds))!;

    /// <summary>A whole number of milliseconds as a configuration TimeSpan.</summary>
    public static string Milliseconds(int milliseconds) => Format(TimeSpan.FromMilliseconds(milliseconds))!;

    private static string? Format<T>(T value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
