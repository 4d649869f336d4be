using MqttIoT.Hub.Index;

namespace MqttIoT.Hub.Filtering;

/// <summary>
/// Where a filter or sort path points. Record fields (<c>id</c>, <c>station</c>, <c>online</c>, <c>stale</c>,
/// <c>firstSeen</c>, <c>lastSeen</c>, stations' <c>devices</c>, devices' <c>notified.{key}.value|text|at</c>) are
/// resolved by name; <c>props.x</c> and every other path are paths into the props. Compiled per query and used by
/// that query only (it keeps where its path sits in the last record shape it saw).
/// </summary>
internal sealed class FieldRef
{
    private enum Source { Id, Station, Online, Stale, FirstSeen, LastSeen, Devices, Notified, Props }

    private readonly Source _source;
    private readonly int _pathId;
    private readonly string? _notifiedKey;
    private readonly string? _notifiedPart;
    // The position of the path in the last shape seen: records of one shape (the usual case) need no search.
    private FieldShape? _shape;
    private int _first;
    private int _count;

    private FieldRef(string path, Source source, int pathId = -1, string? key = null, string? part = null)
    {
        Path = path;
        _source = source;
        _pathId = pathId;
        _notifiedKey = key;
        _notifiedPart = part;
    }

    public string Path { get; }

    public bool IsId => _source == Source.Id;

    /// <summary>A path into the props (what field indexes cover), as opposed to a record field.</summary>
    public bool IsProps => _source == Source.Props;

    /// <summary>The props path's id in the <see cref="PathTable"/>; -1 when no record had it when the query was compiled (it matches no value then).</summary>
    public int PathId => _pathId;

    /// <summary>Whether the field holds times, so operands must be ISO 8601 dates.</summary>
    public bool IsTime => _source is Source.FirstSeen or Source.LastSeen || _notifiedPart == "at";

    public static FieldRef Resolve(string path, bool devices, PathTable paths)
    {
        if (string.IsNullOrEmpty(path) || path.StartsWith('.') || path.EndsWith('.') || path.Contains("..", StringComparison.Ordinal))
            throw new FilterException($"'{path}' is not a field path (dotted names such as 'attributes.model')");
        switch (path)
        {
            case "id": return new(path, Source.Id);
            case "station" when devices: return new(path, Source.Station);
            case "online": return new(path, Source.Online);
            case "stale": return new(path, Source.Stale);
            case "firstSeen": return new(path, Source.FirstSeen);
            case "lastSeen": return new(path, Source.LastSeen);
            case "devices" when !devices: return new(path, Source.Devices);
        }
        if (devices && path.StartsWith("notified.", StringComparison.Ordinal))
        {
            var rest = path["notified.".Length..];
            var dot = rest.LastIndexOf('.');
            var part = dot < 0 ? null : rest[(dot + 1)..];
            if (part is not ("value" or "text" or "at"))
                throw new FilterException($"'{path}': a notified field is 'notified.<key>.value', '.text' or '.at'");
            return new(path, Source.Notified, key: rest[..dot], part: part);
        }
        var propsPath = path.StartsWith("props.", StringComparison.Ordinal) ? path["props.".Length..] : path;
        return new(path, Source.Props, paths.TryGet(propsPath, out var id) ? id : -1);
    }

    /// <summary>The values of the field in <paramref name="r"/>; empty when missing. Single values go through <paramref name="scratch"/>.</summary>
    public ReadOnlySpan<FieldValue> Values(IndexRecord r, HubIndex index, ref FieldValue scratch)
    {
        switch (_source)
        {
            case Source.Props:
                if (_pathId < 0) return [];
                var fields = r.Fields;
                if (!ReferenceEquals(fields.Shape, _shape))
                {
                    _shape = fields.Shape;
                    (_first, _count) = _shape.Find(_pathId);
                }
                return fields.Slice(_first, _count);
            case Source.Id: scratch = FieldValue.Of(r.Id); break;
            case Source.Station:
                if (r.Station is null) return [];
                scratch = FieldValue.Of(r.Station);
                break;
            case Source.Online: scratch = FieldValue.Of(r.Online); break;
            case Source.Stale: scratch = FieldValue.Of(r.Stale); break;
            case Source.FirstSeen: scratch = FieldValue.Of(r.FirstSeen); break;
            case Source.LastSeen: scratch = FieldValue.Of(r.LastSeen); break;
            case Source.Devices: scratch = FieldValue.Of(index.DeviceCount(r.Id)); break;
            case Source.Notified:
                if (r.FindNotified(_notifiedKey!) is not { } n) return [];
                scratch = _notifiedPart switch
                {
                    "value" => FieldValue.Of(n.Value),
                    "text" => n.Text is null ? FieldValue.Null : FieldValue.Of(n.Text),
                    _ => FieldValue.Of(n.At),
                };
                break;
        }
        return new ReadOnlySpan<FieldValue>(ref scratch);
    }

    /// <summary>The value a sort uses: the field's first value, or null when missing.</summary>
    public FieldValue SortKey(IndexRecord r, HubIndex index)
    {
        var scratch = default(FieldValue);
        var values = Values(r, index, ref scratch);
        return values.Length == 0 ? FieldValue.Null : values[0];
    }
}
