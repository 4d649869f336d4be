using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MqttIoT.Hub.Index;

namespace MqttIoT.Hub.Filtering;

/// <summary>
/// Compiles the filter language of FIND_STATIONS and FIND_DEVICES (topics.md, "Filters") into a <see cref="Condition"/>:
/// <list type="bullet">
/// <item><c>{"path": value}</c>: equality (a string, number, boolean or null); paths are dotted, and a nested object
/// without operators is the same as dotted paths: <c>{"attributes":{"model":"x"}}</c> is <c>{"attributes.model":"x"}</c>.</item>
/// <item><c>{"path": {"$op": operand, ...}}</c>: <c>$ne</c>, <c>$in</c> (array), <c>$gt</c>/<c>$gte</c>/<c>$lt</c>/<c>$lte</c>
/// (number, string or, on time fields, an ISO 8601 date), <c>$exists</c> (boolean), <c>$regex</c> (with <c>$options</c>
/// <c>"i"</c> to ignore case). Several operators on one field must all hold, as must all fields.</item>
/// </list>
/// Everything wrong gets a <see cref="FilterException"/> naming the place and the problem.
/// </summary>
internal static class FilterParser
{
    public const int MaxConditions = 64;
    public const int MaxInValues = 1000;
    public const int MaxPatternLength = 256;
    private const int MaxDepth = 8;

    public static readonly IReadOnlyList<string> Operators = ["$ne", "$in", "$gt", "$gte", "$lt", "$lte", "$exists", "$regex", "$options"];

    public static Condition Parse(JsonElement? filter, bool devices, PathTable paths)
    {
        if (filter is not { } f || f.ValueKind == JsonValueKind.Null) return Condition.All;
        if (f.ValueKind != JsonValueKind.Object) throw new FilterException($"'filter' must be a JSON object, not {Kind(f)}");
        var parts = new List<Condition>();
        AddObject(parts, f, "", devices, paths, 0);
        return parts.Count switch { 0 => Condition.All, 1 => parts[0], _ => new AndCondition([.. parts]) };
    }

    private static void AddObject(List<Condition> parts, JsonElement obj, string prefix, bool devices, PathTable paths, int depth)
    {
        if (depth > MaxDepth) throw new FilterException($"the filter nests deeper than {MaxDepth} levels at '{prefix}'");
        foreach (var p in obj.EnumerateObject())
        {
            if (p.Name.StartsWith('$'))
                throw new FilterException(prefix.Length == 0
                    ? $"'{p.Name}' is not supported at the top of a filter: give field paths, e.g. {{\"online\":true}}"
                    : $"'{prefix}' mixes operators and fields: use either {{\"$op\":...}} or nested fields");
            var path = prefix.Length == 0 ? p.Name : prefix + "." + p.Name;
            AddField(parts, path, p.Value, devices, paths, depth);
        }
    }

    private static void AddField(List<Condition> parts, string path, JsonElement value, bool devices, PathTable paths, int depth)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            var props = value.EnumerateObject().ToList();
            var operators = props.Count(p => p.Name.StartsWith('$'));
            if (operators == 0 && props.Count > 0) { AddObject(parts, value, path, devices, paths, depth + 1); return; }
            if (props.Count == 0) throw new FilterException($"'{path}': an empty object matches nothing; give a value or operators such as {{\"$exists\":true}}");
            if (operators != props.Count) throw new FilterException($"'{path}' mixes operators and fields: use either {{\"$op\":...}} or nested fields");
            var field = FieldRef.Resolve(path, devices, paths);
            string? options = null;
            if (value.TryGetProperty("$options", out var o))
            {
                if (o.ValueKind != JsonValueKind.String || o.GetString()!.Any(c => c != 'i'))
                    throw new FilterException($"'{path}': $options takes \"i\" (ignore case), nothing else");
                if (!value.TryGetProperty("$regex", out _)) throw new FilterException($"'{path}': $options goes with $regex");
                options = o.GetString();
            }
            foreach (var p in props)
            {
                if (p.Name == "$options") continue;
                Count(parts, path);
                parts.Add(new FieldCondition(field, Operator(field, p.Name, p.Value, options)));
            }
            return;
        }
        var f = FieldRef.Resolve(path, devices, paths);
        Count(parts, path);
        parts.Add(new FieldCondition(f, new EqualsOperator(Operand(f, "equality", value))));
    }

    private static FieldOperator Operator(FieldRef field, string name, JsonElement operand, string? options) => name switch
    {
        "$ne" => new NotOperator(new EqualsOperator(Operand(field, name, operand))),
        "$in" => In(field, operand),
        "$gt" => new CompareOperator(Ordered(field, name, operand), 1, false),
        "$gte" => new CompareOperator(Ordered(field, name, operand), 1, true),
        "$lt" => new CompareOperator(Ordered(field, name, operand), -1, false),
        "$lte" => new CompareOperator(Ordered(field, name, operand), -1, true),
        "$exists" => operand.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? new ExistsOperator(operand.GetBoolean())
            : throw new FilterException($"'{field.Path}': $exists takes true or false, not {Kind(operand)}"),
        "$regex" => Regex(field, operand, options),
        _ => throw new FilterException($"'{field.Path}': unknown operator '{name}'; the filter language has {string.Join(", ", Operators)}"),
    };

    private static InOperator In(FieldRef field, JsonElement operand)
    {
        if (operand.ValueKind != JsonValueKind.Array) throw new FilterException($"'{field.Path}': $in takes an array of values, not {Kind(operand)}");
        if (operand.GetArrayLength() > MaxInValues) throw new FilterException($"'{field.Path}': $in takes at most {MaxInValues} values");
        var set = new HashSet<FieldValue>();
        foreach (var item in operand.EnumerateArray()) set.Add(Operand(field, "$in", item));
        return new InOperator(set);
    }

    private static RegexOperator Regex(FieldRef field, JsonElement operand, string? options)
    {
        if (operand.ValueKind != JsonValueKind.String) throw new FilterException($"'{field.Path}': $regex takes a string pattern, not {Kind(operand)}");
        var pattern = operand.GetString()!;
        if (pattern.Length > MaxPatternLength) throw new FilterException($"'{field.Path}': the $regex pattern is over {MaxPatternLength} characters");
        // Non-backtracking: matching time is linear in the input whatever the pattern, so a query cannot stall the hub.
        var flags = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;
        if (options?.Contains('i', StringComparison.Ordinal) == true) flags |= RegexOptions.IgnoreCase;
        try { return new RegexOperator(new Regex(pattern, flags, TimeSpan.FromMilliseconds(100))); }
        catch (ArgumentException ex) { throw new FilterException($"'{field.Path}': $regex '{pattern}' is not a usable pattern: {ex.Message}"); }
        catch (NotSupportedException ex) { throw new FilterException($"'{field.Path}': $regex '{pattern}' uses a construct the hub does not run (backreferences, lookarounds): {ex.Message}"); }
    }

    private static FieldValue Operand(FieldRef field, string op, JsonElement operand)
    {
        if (operand.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            throw new FilterException($"'{field.Path}': {op} takes a string, number, boolean or null, not {Kind(operand)}{(operand.ValueKind == JsonValueKind.Array && op == "equality" ? " (use $in for a list)" : "")}");
        if (field.IsTime && operand.ValueKind == JsonValueKind.String) return Time(field, op, operand);
        return PropsFields.Scalar(operand);
    }

    private static FieldValue Ordered(FieldRef field, string op, JsonElement operand)
    {
        if (field.IsTime)
            return operand.ValueKind == JsonValueKind.String ? Time(field, op, operand)
                : throw new FilterException($"'{field.Path}': {op} on a time takes an ISO 8601 date string, not {Kind(operand)}");
        if (operand.ValueKind is not (JsonValueKind.Number or JsonValueKind.String))
            throw new FilterException($"'{field.Path}': {op} takes a number or a string, not {Kind(operand)}");
        return PropsFields.Scalar(operand);
    }

    private static FieldValue Time(FieldRef field, string op, JsonElement operand) =>
        DateTimeOffset.TryParse(operand.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? FieldValue.Of(t)
            : throw new FilterException($"'{field.Path}': {op} takes an ISO 8601 date such as \"2026-11-25T09:00:00Z\", not \"{operand.GetString()}\"");

    private static void Count(List<Condition> parts, string path)
    {
        if (parts.Count >= MaxConditions) throw new FilterException($"the filter has more than {MaxConditions} conditions (at '{path}')");
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
