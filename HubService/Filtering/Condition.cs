using System.Text.RegularExpressions;
using MqttIoT.Hub.Index;

namespace MqttIoT.Hub.Filtering;

/// <summary>A compiled filter: true for the records it keeps.</summary>
internal abstract class Condition
{
    public abstract bool Matches(IndexRecord record, HubIndex index);

    /// <summary>Keeps everything (an empty or absent filter).</summary>
    public static readonly Condition All = new AllCondition();

    private sealed class AllCondition : Condition
    {
        public override bool Matches(IndexRecord record, HubIndex index) => true;
    }
}

/// <summary>Every part must hold (the fields of a filter object are and-ed).</summary>
internal sealed class AndCondition(Condition[] parts) : Condition
{
    public IReadOnlyList<Condition> Parts => parts;

    public override bool Matches(IndexRecord record, HubIndex index)
    {
        foreach (var p in parts)
            if (!p.Matches(record, index)) return false;
        return true;
    }
}

/// <summary>One operator applied to one field. Like MongoDB, a field with several values (an array) matches when any value does.</summary>
internal sealed class FieldCondition(FieldRef field, FieldOperator op) : Condition
{
    public FieldRef Field => @field;
    public FieldOperator Operator => op;

    public override bool Matches(IndexRecord record, HubIndex index)
    {
        var scratch = default(FieldValue);
        return op.Matches(field.Values(record, index, ref scratch));
    }
}

internal abstract class FieldOperator
{
    public abstract bool Matches(ReadOnlySpan<FieldValue> values);

    /// <summary>
    /// Where in the sort order a field's values must have one (normalized <see cref="ValueInterval"/>s) for the
    /// operator to match it, so a field index can list the candidates; null when a field can match without any value
    /// there (missing, <c>$ne</c>, <c>$exists</c>) or the operator is not worth an index (<c>$regex</c>).
    /// </summary>
    public virtual ValueInterval[]? Candidates => null;
}

/// <summary>Equality; <c>null</c> also matches a missing field.</summary>
internal sealed class EqualsOperator(FieldValue operand) : FieldOperator
{
    public override ValueInterval[]? Candidates => operand.Kind == FieldKind.Null ? null : [ValueInterval.Point(operand)];

    public override bool Matches(ReadOnlySpan<FieldValue> values)
    {
        if (values.IsEmpty) return operand.Kind == FieldKind.Null;
        foreach (var v in values)
            if (v == operand) return true;
        return false;
    }
}

internal sealed class NotOperator(FieldOperator inner) : FieldOperator
{
    public override bool Matches(ReadOnlySpan<FieldValue> values) => !inner.Matches(values);
}

internal sealed class InOperator(HashSet<FieldValue> operands) : FieldOperator
{
    public override ValueInterval[]? Candidates =>
        operands.Contains(FieldValue.Null) ? null : ValueInterval.Normalize(operands.Select(ValueInterval.Point));

    public override bool Matches(ReadOnlySpan<FieldValue> values)
    {
        if (values.IsEmpty) return operands.Contains(FieldValue.Null);
        foreach (var v in values)
            if (operands.Contains(v)) return true;
        return false;
    }
}

/// <summary>$gt, $gte, $lt, $lte: compares like with like (numbers, strings by ordinal, times); other values never match.</summary>
internal sealed class CompareOperator(FieldValue operand, int sign, bool orEqual) : FieldOperator
{
    public override ValueInterval[]? Candidates
    {
        get
        {
            if (FieldValue.ComparableWith(operand) is not { } like) return [];
            var at = orEqual == (sign > 0) ? ValueBound.Before(operand) : ValueBound.Past(operand);
            return ValueInterval.Normalize([sign > 0 ? like with { Low = at } : like with { High = at }]);
        }
    }

    public override bool Matches(ReadOnlySpan<FieldValue> values)
    {
        foreach (var v in values)
        {
            if (!FieldValue.Comparable(v, operand)) continue;
            var c = FieldValue.Compare(v, operand);
            if (c * sign > 0 || (orEqual && c == 0)) return true;
        }
        return false;
    }
}

internal sealed class ExistsOperator(bool exists) : FieldOperator
{
    public override bool Matches(ReadOnlySpan<FieldValue> values) => values.IsEmpty != exists;
}

internal sealed class RegexOperator(Regex regex) : FieldOperator
{
    public override bool Matches(ReadOnlySpan<FieldValue> values)
    {
        foreach (var v in values)
            if (v.Kind == FieldKind.String && regex.IsMatch(v.Text!)) return true;
        return false;
    }
}
