using System.Text.Json;

namespace MqttIoT.Hub.Index;

/// <summary>
/// A props object flattened to (path, value) pairs sorted by path id: <c>{"attributes":{"model":"x"}}</c> gives
/// <c>attributes</c> = object and <c>attributes.model</c> = "x". An array gives one pair per element under the
/// array's own path (so <c>keys</c> = "temperature" matches when any key is), objects inside arrays continue the path.
/// </summary>
internal sealed class PropsFields
{
    private const int MaxDepth = 16;

    public static readonly PropsFields Empty = new(FieldShape.Empty, []);

    private readonly FieldValue[] _values;

    private PropsFields(FieldShape shape, FieldValue[] values)
    {
        Shape = shape;
        _values = values;
    }

    /// <summary>Which paths the values are of (interned: records of one shape share it).</summary>
    public FieldShape Shape { get; }

    /// <summary>Every value under <paramref name="pathId"/>, in document order; empty when the field is missing.</summary>
    public ReadOnlySpan<FieldValue> Get(int pathId)
    {
        var (first, count) = Shape.Find(pathId);
        return Slice(first, count);
    }

    /// <summary>The values at a position <see cref="FieldShape.Find"/> gave for this record's shape.</summary>
    public ReadOnlySpan<FieldValue> Slice(int first, int count) => _values.AsSpan(first, count);

    public static PropsFields Flatten(JsonElement root, PathTable paths)
    {
        if (root.ValueKind != JsonValueKind.Object) return Empty;
        var pairs = new List<(int Path, int Order, FieldValue Value)>(24);
        foreach (var property in root.EnumerateObject()) Add(pairs, paths, property.Name, property.Value, 0);
        pairs.Sort(static (a, b) => a.Path != b.Path ? a.Path.CompareTo(b.Path) : a.Order.CompareTo(b.Order));
        var ids = new int[pairs.Count];
        var values = new FieldValue[pairs.Count];
        for (var i = 0; i < pairs.Count; i++) (ids[i], values[i]) = (pairs[i].Path, pairs[i].Value);
        return new PropsFields(paths.Shape(ids), values);
    }

    private static void Add(List<(int, int, FieldValue)> pairs, PathTable paths, string path, JsonElement value, int depth)
    {
        if (depth > MaxDepth) return;
        var id = paths.GetOrAdd(path);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                pairs.Add((id, pairs.Count, FieldValue.Object));
                foreach (var p in value.EnumerateObject()) Add(pairs, paths, path + "." + p.Name, p.Value, depth + 1);
                break;
            case JsonValueKind.Array:
                if (value.GetArrayLength() == 0) pairs.Add((id, pairs.Count, FieldValue.EmptyArray));
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Array) Add(pairs, paths, path, item, depth + 1);
                    else if (item.ValueKind == JsonValueKind.Object)
                    {
                        pairs.Add((id, pairs.Count, FieldValue.Object));
                        foreach (var p in item.EnumerateObject()) Add(pairs, paths, path + "." + p.Name, p.Value, depth + 1);
                    }
                    else pairs.Add((id, pairs.Count, Scalar(item)));
                }
                break;
            default:
                pairs.Add((id, pairs.Count, Scalar(value)));
                break;
        }
    }

    /// <summary>A JSON scalar as a field value (also used for the operands of filters).</summary>
    public static FieldValue Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => FieldValue.Of(value.GetString()!),
        JsonValueKind.Number => FieldValue.Of(value.GetDouble()),
        JsonValueKind.True => FieldValue.Of(true),
        JsonValueKind.False => FieldValue.Of(false),
        _ => FieldValue.Null,
    };
}
