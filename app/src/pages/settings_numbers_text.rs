//! The business numbers card's strings (Settings), in the Settings page's lazy module rather than the first load
//! (`crate::i18n::area_messages!`).

crate::i18n::area_messages! {
    NumbersText {
        NumbersTitle => "Numbers", "Números", "号码";
        NumbersHint => "Who rings when a customer calls one of the business's numbers. The agent who last called the customer always rings first, for 15 s.", "Quién recibe la llamada cuando un cliente llama a un número de la empresa. El agente que llamó al cliente por última vez suena primero, durante 15 s.", "客户拨打公司号码时由谁接听。最近一次呼叫该客户的坐席总是先响铃 15 秒。";
        NumbersEmpty => "No numbers yet: calls back to the caller ID ring the agent who called.", "Aún no hay números: las devoluciones de llamada al identificador suenan al agente que llamó.", "尚无号码：回拨到主叫号码的来电会转给当初呼叫的坐席。";
        NumberField => "Number", "Número", "号码";
        NumberAgents => "Agents (e-mails, comma-separated; empty: no one assigned)", "Agentes (correos separados por comas; vacío: nadie asignado)", "坐席（电子邮件，以逗号分隔；留空表示未分配）";
        NumberStrategy => "Ring", "Timbre", "响铃方式";
        NumberRingAll => "All at once", "Todos a la vez", "同时响铃";
        NumberInOrder => "In order", "En orden", "依次响铃";
        NumberRingSecs => "Ring time (s)", "Tiempo de timbre (s)", "响铃时长（秒）";
        NumberPerAgentSecs => "Each agent (s)", "Cada agente (s)", "每位坐席（秒）";
        NumberHours => "Business hours (e.g. mon 09:00-18:00, sat 10:00-14:00; empty: always open)", "Horario (p. ej. mon 09:00-18:00, sat 10:00-14:00; vacío: siempre abierto)", "营业时间（例如 mon 09:00-18:00, sat 10:00-14:00；留空表示始终营业）";
        NumberUnassigned => "With no one to ring", "Sin nadie a quien llamar", "无人可接时";
        NumberMessage => "Play a message", "Reproducir un mensaje", "播放提示语";
        NumberRefuse => "Refuse the call", "Rechazar la llamada", "拒绝来电";
        NumberSave => "Save number", "Guardar número", "保存号码";
        NumberRemove => "Remove", "Quitar", "移除";
        NumberEdit => "Edit", "Editar", "编辑";
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_translation_is_present_and_keeps_the_placeholders() {
        crate::i18n::tests::check_translations(super::NumbersText::ALL);
    }
}
