//! The analytics page's strings, in the admin area's lazy module rather than the first load
//! (`crate::i18n::area_messages!`).

crate::i18n::area_messages! {
    AnalyticsText {
        Title => "Call analytics", "Análisis de llamadas", "通话分析";
        Filters => "Period and filters", "Periodo y filtros", "时间段和筛选";
        From => "From", "Desde", "从";
        To => "To", "Hasta", "到";
        Agent => "Agent", "Agente", "坐席";
        Country => "Country", "País", "国家/地区";
        AllAgents => "All agents", "Todos los agentes", "所有坐席";
        AllCountries => "All countries", "Todos los países", "所有国家/地区";
        Show => "Show", "Mostrar", "显示";
        DownloadCsv => "Download CSV", "Descargar CSV", "下载 CSV";
        InUtc => "Days and hours are in UTC.", "Los días y las horas están en UTC.", "日期和小时均为 UTC。";
        NoCalls => "No calls in this period.", "No hay llamadas en este periodo.", "此时间段内没有通话。";
        Calls => "Calls", "Llamadas", "通话";
        Answered => "Answered", "Contestadas", "已接听";
        NotAnswered => "Not answered", "No contestadas", "未接听";
        AnswerRate => "Answer rate", "Tasa de respuesta", "接通率";
        TalkTime => "Talk time", "Tiempo de conversación", "通话时长";
        AverageCall => "Average answered call", "Duración media contestada", "平均接通通话时长";
        AverageDelay => "Average post-dial delay", "Retardo medio tras marcar", "平均拨号后延迟";
        AverageMos => "Average MOS", "MOS medio", "平均 MOS";
        Warned => "Calls with a quality warning", "Llamadas con aviso de calidad", "有质量警告的通话";
        PerDay => "Calls per day", "Llamadas por día", "每日通话";
        Outcomes => "How calls ended", "Cómo terminaron las llamadas", "通话结束方式";
        ByCountry => "By country", "Por país", "按国家/地区";
        ByNumberType => "By number type", "Por tipo de número", "按号码类型";
        PerAgent => "Per agent", "Por agente", "按坐席";
        BusiestHours => "Busiest hours (UTC)", "Horas de más llamadas (UTC)", "最繁忙时段（UTC）";
        DelayTitle => "Post-dial delay (calls placed)", "Retardo tras marcar (llamadas realizadas)", "拨号后延迟（呼出通话）";
        MosTitle => "Call quality (each call's average MOS)", "Calidad (MOS medio de cada llamada)", "通话质量（每通通话的平均 MOS）";
        DataTable => "Data table", "Tabla de datos", "数据表";
        Day => "Day", "Día", "日期";
        Hour => "Hour", "Hora", "小时";
        Outcome => "Outcome", "Resultado", "结果";
        NumberType => "Number type", "Tipo de número", "号码类型";
        Range => "Range", "Rango", "范围";
        OtherCountries => "Other countries", "Otros países", "其他国家/地区";
        NoNumber => "No number", "Sin número", "无号码";
        TollFree => "Toll-free", "Gratuito", "免费电话";
        PremiumRate => "Premium rate", "Tarificación adicional", "付费号码";
        SharedCost => "Shared cost", "Coste compartido", "分摊费用";
        Uan => "Universal access", "Acceso universal", "统一接入号";
        Voip => "VoIP", "VoIP", "网络电话";
        Unknown => "Unknown", "Desconocido", "未知";
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_translation_is_present_and_keeps_the_placeholders() {
        crate::i18n::tests::check_translations(super::AnalyticsText::ALL);
    }
}
