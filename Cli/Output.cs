using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace MqttIoT.Cli;

/// <summary>
/// Where results go. json: one object per line on stdout, for scripts. table: a Spectre table on a terminal, and plain
/// lines of tab-separated columns when stdout is piped (what grep, cut and awk want). Messages go to stderr.
/// </summary>
public sealed class Output(bool json)
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>One object per line.</summary>
    public bool Json { get; } = json;

    /// <summary>A person watches: stdout is a terminal and the format is table.</summary>
    public bool Interactive { get; } = !json && !Console.IsOutputRedirected;

    /// <summary>Writes rows: a table (or tab-separated lines), or each row's object as a json line.</summary>
    public void Rows(IReadOnlyList<string> columns, IEnumerable<(IReadOnlyList<string?> Cells, JsonNode Object)> rows)
    {
        if (Json)
        {
            foreach (var row in rows) Line(row.Object);
            return;
        }
        if (Interactive)
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var column in columns) table.AddColumn(Markup.Escape(column));
            foreach (var row in rows) table.AddRow([.. row.Cells.Select(c => Markup.Escape(c ?? ""))]);
            AnsiConsole.Write(table);
            return;
        }
        foreach (var row in rows) Console.Out.WriteLine(PlainLine(row.Cells));
    }

    /// <summary>One json line (json), or the plain line of the cells (table).</summary>
    public void Row(IReadOnlyList<string?> cells, JsonNode obj)
    {
        if (Json) Line(obj);
        else Console.Out.WriteLine(PlainLine(cells));
    }

    /// <summary>A JSON value: one line (json), indented (table).</summary>
    public void Value(JsonNode? node)
    {
        if (Json) Console.Out.WriteLine(node?.ToJsonString(Compact) ?? "null");
        else Console.Out.WriteLine(node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null");
    }

    /// <summary>A message for the person, never mixed into the results: stderr.</summary>
    public static void Message(string text) => Console.Error.WriteLine(text);

    private static void Line(JsonNode obj) => Console.Out.WriteLine(obj.ToJsonString(Compact));

    private static string PlainLine(IReadOnlyList<string?> cells) => string.Join('\t', cells.Select(c => (c ?? "-").Replace('\t', ' ').Replace('\n', ' ')));

    /// <summary>Bytes as text when they are printable UTF-8, else null.</summary>
    public static string? TextOf(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var text = new UTF8Encoding(false, true).GetString(bytes);
            return text.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t') ? null : text;
        }
        catch (DecoderFallbackException) { return null; }
    }

    /// <summary>A time for a cell: UTC, to the millisecond, ISO 8601.</summary>
    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
