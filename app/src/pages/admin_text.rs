//! The admin page's strings, in the admin page's lazy module rather than the first load
//! (`crate::i18n::area_messages!`).

crate::i18n::area_messages! {
    AdminText {
        BlockedTitle => "Blocked or awaiting approval", "Bloqueados o pendientes de aprobación", "已封锁或待批准";
        NoneBlocked => "No one is blocked.", "Nadie está bloqueado.", "没有被封锁的用户。";
        FindLabel => "Find a user (e-mail or sub)", "Buscar un usuario (correo o sub)", "查找用户（电子邮件或 sub）";
        Find => "Find", "Buscar", "查找";
        NoSuchUser => "No account has this e-mail or sub.", "Ninguna cuenta tiene este correo o sub.", "没有账户使用此电子邮件或 sub。";
        Enabled => "Enabled", "Activada", "已启用";
        Disabled => "Disabled", "Desactivada", "已停用";
        Calls => "Calls", "Llamadas", "呼叫";
        CallsAllowed => "Allowed", "Permitidas", "允许";
        RuleShortCalls => "Blocked: many short calls", "Bloqueadas: muchas llamadas cortas", "已封锁：大量短通话";
        RuleSequential => "Blocked: consecutive numbers", "Bloqueadas: números consecutivos", "已封锁：连续号码";
        RuleNewDestinations => "Blocked: many new numbers", "Bloqueadas: muchos números nuevos", "已封锁：大量新号码";
        RuleAwaiting => "Awaiting approval", "Pendiente de aprobación", "等待批准";
        OpenCalls => "Open calls", "Llamadas en curso", "进行中的通话";
        Lift => "Lift block", "Levantar bloqueo", "解除封锁";
        Approve => "Approve", "Aprobar", "批准";
        Disable => "Disable account", "Desactivar cuenta", "停用账户";
        Enable => "Enable account", "Activar cuenta", "启用账户";
        ConfirmDisable => "Its sessions end at once and it cannot sign in until enabled again.", "Sus sesiones terminan al instante y no podrá iniciar sesión hasta que se active de nuevo.", "其会话立即结束，重新启用前无法登录。";
        NoChange => "Nothing to change.", "Nada que cambiar.", "没有需要更改的内容。";
        LimitsTitle => "Limits for this user", "Límites de este usuario", "此用户的限制";
        LimitsHint => "Empty: the server's value (shown in grey).", "Vacío: el valor del servidor (en gris).", "留空：使用服务器的值（灰色显示）。";
        LimitPerMinute => "Calls per minute", "Llamadas por minuto", "每分钟呼叫数";
        LimitPerHour => "Calls per hour", "Llamadas por hora", "每小时呼叫数";
        LimitMinutesDay => "Minutes per day", "Minutos por día", "每天分钟数";
        LimitLongest => "Longest call (min)", "Llamada más larga (min)", "最长通话（分钟）";
        LimitVelocityOff => "Velocity rules off", "Sin reglas de velocidad", "关闭频率规则";
        SaveLimits => "Save limits", "Guardar límites", "保存限制";
        ClearLimits => "Clear limits", "Borrar límites", "清除限制";
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_translation_is_present_and_keeps_the_placeholders() {
        crate::i18n::tests::check_translations(super::AdminText::ALL);
    }
}
